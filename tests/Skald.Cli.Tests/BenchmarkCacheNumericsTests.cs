namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald benchmark</c>'s result cache keys a local model's numerics as <c>skald evaluate --cache</c> keys its
/// embeddings: a run whose float32 products are "high" (<c>SKALD_AMX_FP32=high</c> or <c>--float32-matmul high</c>)
/// after a "highest" run with the same cache computes its result again instead of reporting the highest one, and the
/// two ways of asking for high share one key.
/// </summary>
public sealed class BenchmarkCacheNumericsTests
{
    [AmxHighFact]
    public void AHighRunDoesNotReuseAHighestRunsScore()
    {
        string dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache");
        string suite = TestPaths.WriteFile(dir, "one.json", System.Text.Json.JsonSerializer.Serialize(new
        {
            name = "one",
            tasks = new[] { new { name = "r", type = "retrieval", path = Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval"), language = "nb" } },
        }));
        string[] Args(string name, params string[] extra) =>
            ["benchmark", "--models", TestPaths.FixtureModel("bert-cased-mean"), "--suite", suite, "--output", Path.Combine(dir, name), "--cache", cache, .. extra];
        string Counts(string name) => File.ReadAllText(Path.Combine(dir, name + ".md"));

        var r = InProcessSkald.Capture(Args("highest"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("1 result computed, 0 from the cache.", Counts("highest"));
        r = SkaldProcess.RunWith(null, new Dictionary<string, string> { ["SKALD_AMX_FP32"] = "high" }, Args("process"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("1 result computed, 0 from the cache.", Counts("process"));
        r = InProcessSkald.Capture(Args("option", "--float32-matmul", "high"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("0 results computed, 1 from the cache.", Counts("option"));
        r = InProcessSkald.Capture(Args("again"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("0 results computed, 1 from the cache.", Counts("again"));
    }
}
