namespace Skald.Cli.Tests;

/// <summary>
/// Output that goes to a pipe or a file is plain text: no ANSI escape sequences from Spectre.Console, whether or not
/// the job is long enough for a progress bar on a terminal.
/// </summary>
public sealed class RedirectedOutputTests
{
    private static void AssertPlain(SkaldProcess.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain('\u001b', r.Stdout);
        Assert.DoesNotContain('\u001b', r.Stderr);
    }

    [Fact]
    public void EncodeWithAProgressSizedJobPrintsPlainLines()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 100).Select(i => $"Setning nummer {i} om været i Bergen."));
        var r = SkaldProcess.Run("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", output);
        AssertPlain(r);
        Assert.Equal($"wrote 100 embeddings of dimension 32 to {output}", r.Stderr.Trim());
        Assert.Equal(100, File.ReadAllLines(output).Length);
    }

    [Fact]
    public void QuietPrintsNothingButResults()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, ["Hei", "Hallo"]);
        var r = SkaldProcess.Run("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", output, "--quiet");
        AssertPlain(r);
        Assert.Equal("", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void InfoAndHelpArePlain()
    {
        var info = SkaldProcess.Run("info", "--model", TestPaths.FixtureModel("bert-cased-mean"));
        AssertPlain(info);
        Assert.Contains("embedding dim:    32", info.Stdout);
        AssertPlain(SkaldProcess.Run("benchmark", "--help"));
    }

    [Fact]
    public void BenchmarkRankingIsPlain()
    {
        string outDir = TestPaths.NewTempDir();
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "benchmark", "--models", "bm25", "--suite", "samples/quickstart-suite.json",
            "--output", Path.Combine(outDir, "report"), "--no-cache");
        AssertPlain(r);
        Assert.Contains("#1 bm25: Borda", r.Stderr);
        Assert.True(File.Exists(Path.Combine(outDir, "report.md")));
    }
}
