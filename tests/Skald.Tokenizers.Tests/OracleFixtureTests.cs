using Xunit.Abstractions;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// Skald must give the oracle's (HF tokenizers) ids, tokens, offsets, type ids, special-token
/// masks, overflowing parts and decoded text for every line of every fixture's expected.jsonl.
/// </summary>
public sealed class OracleFixtureTests(ITestOutputHelper output)
{
    /// <summary>Every fixture directory holding a tokenizer.json and an expected.jsonl.</summary>
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(FixturePaths.TokenizerFixtures).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(dir, "tokenizer.json")) && File.Exists(Path.Combine(dir, "expected.jsonl")))
                data.Add(Path.GetFileName(dir));
        return data;
    }

    [Fact]
    public void AllKindsHaveFixtures()
    {
        var names = ((IEnumerable<object[]>)Fixtures()).Select(x => (string)x[0]).ToHashSet();
        foreach (var n in (string[])["wordpiece-cased", "unigram", "bpe-gpt2", "bpe-roberta", "bpe-llama3", "bpe-qwen2", "bpe-cl100k", "bpe-llama2", "bpe-mistral", "bpe-classic", "wordlevel", "unigram-bytefallback", "wordpiece-split"])
            Assert.Contains(n, names);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MatchesOracle(string name)
    {
        var tokenizer = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
        var (compared, mismatches) = OracleComparer.CompareFile(tokenizer, Path.Combine(FixturePaths.TokenizerFixtures, name, "expected.jsonl"));
        output.WriteLine($"{name}: compared {compared} encodings with the oracle, {mismatches.Count} mismatches");
        foreach (var m in mismatches.Take(15)) output.WriteLine(m);
        Assert.True(compared > 250, $"only {compared} expected lines found");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {compared} differ from the oracle; first:\n{string.Join("\n", mismatches.Take(6))}");
    }
}
