using System.Text.Json;
using Xunit.Abstractions;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald tokenize</c> against the HF tokenizers oracle outputs in fixtures/tokenizers/*/expected.jsonl (Scandinavian
/// text with æøåäö, Nynorsk, emoji, URLs, numbers, long words, repeated spaces and tabs, ...).
/// </summary>
public sealed class TokenizeCommandTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("wordpiece-cased", "single", 0)]
    [InlineData("wordpiece-uncased", "single", 0)]
    [InlineData("unigram", "single", 0)]
    [InlineData("wordpiece-cased", "truncated", 16)]
    [InlineData("unigram", "truncated", 16)]
    public void IdsAndTokensMatchTheOracle(string tokenizer, string kind, int maxLength)
    {
        string fixture = Path.Combine(TestPaths.Fixtures, "tokenizers", tokenizer);
        var rows = File.ReadLines(Path.Combine(fixture, "expected.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("kind").GetString() == kind)
            .Where(r => r.GetProperty("text").GetString() is { } t && !t.Contains('\n') && !t.EndsWith('\r'))
            .ToList();
        Assert.True(rows.Count >= 50, $"only {rows.Count} oracle rows");
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "in.txt"), outFile = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, string.Concat(rows.Select(r => r.GetProperty("text").GetString() + "\n")));
        var args = new List<string> { "tokenize", "--tokenizer", fixture, "--input", input, "--output", outFile };
        if (maxLength > 0) args.AddRange(["--max-length", maxLength.ToString()]);
        var result = InProcessSkald.Capture([.. args]);
        Assert.True(result.ExitCode == 0, result.Stderr);

        var lines = File.ReadAllLines(outFile);
        Assert.Equal(rows.Count, lines.Length);
        for (int i = 0; i < rows.Count; i++)
        {
            using var got = JsonDocument.Parse(lines[i]);
            Assert.Equal(Ints(rows[i].GetProperty("ids")), Ints(got.RootElement.GetProperty("ids")));
            if (rows[i].TryGetProperty("tokens", out var tokens)) // the truncated rows record ids only
                Assert.Equal(Strings(tokens), Strings(got.RootElement.GetProperty("tokens")));
        }
        output.WriteLine($"{tokenizer}/{kind}: {rows.Count} lines identical to HF tokenizers");
    }

    [Fact]
    public void MalformedTokenizerIsNamed()
    {
        string dir = TestPaths.NewTempDir();
        string tok = Path.Combine(dir, "tokenizer.json"), input = Path.Combine(dir, "in.txt");
        File.WriteAllText(tok, """{"model":{"type":"Mystery"}}""");
        File.WriteAllText(input, "hei\n");
        var r = InProcessSkald.Capture("tokenize", "--tokenizer", tok, "--input", input, "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, tok, "Mystery");
    }

    /// <summary>A missing path (a model folder not downloaded yet) was "PATH: file not found", a folder without a
    /// tokenizer.json "PATH/tokenizer.json: file not found": now what is there and what was expected.</summary>
    [Fact]
    public void AMissingTokenizerOrAFolderWithoutOneIsNamedWithWhatWasExpected()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.txt"), missing = Path.Combine(dir, "modell"), empty = Path.Combine(dir, "tom");
        File.WriteAllText(input, "hei\n");
        Directory.CreateDirectory(empty);
        var r = InProcessSkald.Capture("tokenize", "--tokenizer", missing, "--input", input, "--output", Path.Combine(dir, "a.jsonl"));
        SkaldProcess.AssertUserError(r, 1, $"{missing}: no such file or folder (option --tokenizer takes a tokenizer.json file, or a folder holding one, or a model folder or hub id)");
        r = InProcessSkald.Capture("tokenize", "--tokenizer", empty, "--input", input, "--output", Path.Combine(dir, "b.jsonl"));
        SkaldProcess.AssertUserError(r, 1, $"{empty}: the folder holds no tokenizer.json and is no model folder (option --tokenizer takes");
        // the chunk-length tokenizer of data inspect / data generate says the same (it was "PATH: tokenizer not found")
        r = InProcessSkald.Capture("data", "inspect", input, "--tokenizer", missing);
        SkaldProcess.AssertUserError(r, 1, $"{missing}: no such file or folder (option --tokenizer takes");
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();
}
