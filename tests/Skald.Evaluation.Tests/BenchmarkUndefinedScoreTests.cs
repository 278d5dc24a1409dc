using Skald.Evaluation.Benchmark;

namespace Skald.Evaluation.Tests;

/// <summary>
/// A result without a main score (a correlation over constant gold scores is undefined) showed in the report as "–",
/// the mark of a task not run, with nothing saying it ran or why it has no score.
/// </summary>
public sealed class BenchmarkUndefinedScoreTests
{
    [Fact]
    public void TheReportSaysWhichResultsHaveNoScoreAndWhy()
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "flat.tsv"), "sentence1\tsentence2\tscore\nEn hund\tTo hunder\t0.5\nTre katter\tFire katter\t0.5\n");
        File.WriteAllText(Path.Combine(dir, "spread.tsv"), "sentence1\tsentence2\tscore\nEn hund\tTo hunder\t0.9\nTre katter\tEn bil\t0.1\n");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, """{"tasks": [{"path": "flat.tsv"}, {"path": "spread.tsv"}]}""");
        var report = BenchmarkRunner.Run(Suite.Load(suite), [TestPaths.FixtureModel("bert-cased-mean")], new BenchmarkOptions());
        string md = report.ToMarkdown();
        Assert.Contains("| flat | sts |  | cosine_spearman | – |", md);
        Assert.Contains("\nRun, but without a score (counted as last): bert-cased-mean / flat (correlation is undefined: every gold score is the same)\n", md);
        Assert.DoesNotContain("spread (", md);
    }
}
