using System.Text.Json;
using Xunit.Abstractions;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald quickstart</c> on the bundled data with a fifth of the default training budget: every trained model must
/// beat its untrained starting point on the held-out set by a clear margin (the full budget's figures are in the README).
/// </summary>
[RunsLong(85)] // the quickstart trains at budget 0.2
public sealed class QuickstartTests(ITestOutputHelper output)
{
    [Fact]
    public void TrainedModelsBeatTheirStartingPoints()
    {
        string outDir = TestPaths.NewTempDir();
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "quickstart", "--output", outDir, "--budget", "0.2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        output.WriteLine(r.Stdout);

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        double Score(string model, string type) => report.RootElement.GetProperty("models").EnumerateArray()
            .First(m => m.GetProperty("name").GetString() == model).GetProperty("mean_by_type").GetProperty(type).GetDouble();

        Assert.True(Score("static", "retrieval") > Score("static-untrained", "retrieval") + 0.15, "static model did not learn retrieval");
        Assert.True(Score("bert", "retrieval") > Score("bert-untrained", "retrieval") + 0.04, "small BERT did not learn retrieval");
        Assert.True(Score("bert", "triplets") > Score("bert-untrained", "triplets") + 0.05, "small BERT did not learn triplets");
        foreach (var f in new[] { "report.html", "report.md", "static/modules.json", "bert/modules.json", "bert/README.md" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f + " missing");
        Assert.Contains("encode --model", r.Stdout); // ends with the next commands
        // Without masked-LM pretraining (the default) the stages are numbered 1/6 to 6/6, in order.
        var stages = System.Text.RegularExpressions.Regex.Matches(r.Stdout + r.Stderr, @"\] (\d)/(\d) ").Select(m => m.Groups[1].Value + "/" + m.Groups[2].Value);
        Assert.Equal(["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"], stages);
    }
}
