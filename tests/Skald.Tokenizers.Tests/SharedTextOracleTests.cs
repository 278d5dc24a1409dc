using Xunit.Abstractions;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// Optional: compares Skald with the oracle over the shared UD texts (&lt;repo&gt;/../shared/data/text/ud-*.txt).
/// The oracle output is produced by fixtures/tokenizers/oracle_shared.mjs into $SKALD_ORACLE_DIR
/// (default /tmp/skald-oracle-shared). When it is missing the test passes but says so in its output
/// (xunit 2.9 has no runtime skip).
/// </summary>
public sealed class SharedTextOracleTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("wordpiece-cased")]
    [InlineData("wordpiece-uncased")]
    [InlineData("unigram")]
    public void MatchesOracleOnSharedTexts(string name)
    {
        string dir = Path.Combine(Environment.GetEnvironmentVariable("SKALD_ORACLE_DIR") ?? "/tmp/skald-oracle-shared", name);
        if (!Directory.Exists(dir) || Directory.GetFiles(dir, "ud-*.jsonl").Length == 0)
        {
            output.WriteLine($"NOT RUN: no oracle output in {dir}; run `node fixtures/tokenizers/oracle_shared.mjs` (needs npm install in fixtures/tokenizers and ../shared/data/text).");
            return;
        }
        var tokenizer = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
        int compared = 0;
        var mismatches = new List<string>();
        foreach (var file in Directory.GetFiles(dir, "ud-*.jsonl").Order())
        {
            var (n, m) = OracleComparer.CompareFile(tokenizer, file);
            compared += n;
            mismatches.AddRange(m.Select(x => $"{Path.GetFileName(file)}: {x}"));
        }
        output.WriteLine($"{name}: compared {compared} shared-text lines with the oracle, {mismatches.Count} mismatches");
        foreach (var m in mismatches.Take(10)) output.WriteLine(m);
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {compared} differ; first:\n{string.Join("\n", mismatches.Take(3))}");
    }
}
