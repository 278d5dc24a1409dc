namespace Skald.Cli.Tests;

/// <summary>
/// The benchmark's counts take their number and a model's mean over fewer tasks than the suite's says so (the F journey:
/// a one-task report opened "1 tasks × 4 models", and the summary line put bm25's "mean 93.31" over its 4 retrieval tasks
/// beside the embedding models' means over all 18, with nothing to tell the two apart).
/// </summary>
public sealed class BenchmarkCountWordingTests
{
    private static (SkaldProcess.Result Run, string Markdown, string Html) Bm25(string suite)
    {
        string outDir = TestPaths.NewTempDir();
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "benchmark", "--models", "bm25", "--suite", suite, "--output", Path.Combine(outDir, "report"), "--no-cache");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (r, File.ReadAllText(Path.Combine(outDir, "report.md")), File.ReadAllText(Path.Combine(outDir, "report.html")));
    }

    [Fact]
    public void AMeanOverSomeOfTheTasksSaysHowMany()
    {
        // The quickstart suite: retrieval, which BM25 scores, and triplets, which it does not.
        var (r, md, html) = Bm25("samples/quickstart-suite.json");
        Assert.Contains("2 tasks × 1 model; 1 result computed, 0 from the cache.", md);
        Assert.Contains("2 tasks × 1 model; 1 result computed, 0 from the cache.", html);
        Assert.Matches(@"#1 bm25: Borda 0\.0, mean \d+\.\d\d over 1 of 2 tasks\n", r.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void OneTaskIsOneTaskAndAFullMeanIsPlain()
    {
        string dir = TestPaths.NewTempDir();
        string suite = TestPaths.WriteFile(dir, "one.json", System.Text.Json.JsonSerializer.Serialize(new
        {
            name = "one",
            tasks = new[] { new { name = "r", type = "retrieval", path = Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval"), language = "nb" } },
        }));
        var (r, md, html) = Bm25(suite);
        Assert.Contains("1 task × 1 model; 1 result computed, 0 from the cache.", md);
        Assert.Contains("1 task × 1 model; 1 result computed, 0 from the cache.", html);
        Assert.Matches(@"#1 bm25: Borda 0\.0, mean \d+\.\d\d\n", r.Stderr.ReplaceLineEndings("\n"));
    }
}
