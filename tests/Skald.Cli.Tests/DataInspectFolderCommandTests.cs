namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald data inspect DIR</c> on a FlagEmbedding training folder (it stopped with "is a folder; data is a file"):
/// the files' rows and what <c>--small-threshold</c> / <c>--drop-threshold</c> make of them; the thresholds given with a
/// file are one line.
/// </summary>
public sealed class DataInspectFolderCommandTests
{
    private static string Rows(int n) => string.Concat(Enumerable.Range(0, n).Select(i =>
        $"{{\"query\": \"spørsmål {i}?\", \"pos\": [\"svar {i}.\"], \"neg\": [\"feil {i}.\"]}}\n"));

    [Fact]
    public void AFolderIsReportedPerFileAndTheThresholdsOfAFileAreOneLine()
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "train");
        Directory.CreateDirectory(dir);
        string big = TestPaths.WriteFile(dir, "big.jsonl", Rows(5));
        TestPaths.WriteFile(dir, "small.json", Rows(2));
        var r = InProcessSkald.Capture("data", "inspect", dir, "--small-threshold", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("| big.jsonl | 5 | FlagEmbedding | its own data set |", r.Stdout);
        Assert.Contains("| small.json | 2 | FlagEmbedding | merged with the other small files |", r.Stdout);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "inspect", big, "--drop-threshold", "3"), 1,
            $"{big}: --small-threshold and --drop-threshold are a training folder's; this is a file");
    }
}
