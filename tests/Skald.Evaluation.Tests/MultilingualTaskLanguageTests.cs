using System.Text.Json;
using Skald.Evaluation.Benchmark;
using Skald.Evaluation.Evaluators;

namespace Skald.Evaluation.Tests;

/// <summary>
/// A task over several languages (a suite's <c>"language": "nb,da,nn,sv"</c>, a mixed corpus) counts for each of them
/// in the report's "Mean per language", as SEB's per-language tables take every task that holds the language; it was
/// one column "nb,da,nn,sv" of its own.
/// </summary>
public sealed class MultilingualTaskLanguageTests
{
    private static TaskResult R(string model, string task, double score) => new()
    {
        Task = task, Type = "retrieval", Language = "", MainMetric = "m", MainScore = score, Metrics = new() { ["m"] = score }, Model = model,
    };

    [Fact]
    public void AMixedTaskCountsForEachOfItsLanguages()
    {
        var results = new Dictionary<(string, string), TaskResult>
        {
            [("A", "mixed")] = R("A", "mixed", 0.8), [("A", "xquad-da")] = R("A", "xquad-da", 0.4), [("A", "flores-sv-nb")] = R("A", "flores-sv-nb", 0.6),
            [("A", "guessed")] = R("A", "guessed", 0.1),
        };
        var board = new Leaderboard(["A"], [("mixed", "retrieval", "nb, da,nn,sv"), ("xquad-da", "retrieval", "da"), ("flores-sv-nb", "bitext", "sv-nb"),
            ("guessed", "retrieval", "auto")], results); // "auto": each document's own language, so no column
        Assert.Equal(["da", "nb", "nn", "sv"], board.Languages);
        var report = new BenchmarkReport(new Suite { Name = "s", Tasks = [] }, board, 4, 0, []);
        string md = report.ToMarkdown().ReplaceLineEndings("\n");
        // da: (0.8 + 0.4) / 2, nb: (0.8 + 0.6) / 2, nn: 0.8, sv: (0.8 + 0.6) / 2
        Assert.Contains("## Mean per language\n\n| Model | da | nb | nn | sv |\n|---|---:|---:|---:|---:|\n| A | 60.00 | 70.00 | 80.00 | 70.00 |\n", md);
        using var json = JsonDocument.Parse(report.ToJson());
        var byLanguage = json.RootElement.GetProperty("models")[0].GetProperty("mean_by_language");
        Assert.Equal(["da", "nb", "nn", "sv"], byLanguage.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.7, byLanguage.GetProperty("sv").GetDouble(), 12);
        Assert.Contains("| mixed | retrieval | nb, da,nn,sv |", md); // the task's own row keeps the suite's spelling
    }
}
