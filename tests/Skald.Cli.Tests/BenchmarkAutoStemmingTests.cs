using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald benchmark --models bm25</c> on tasks whose suite language is "auto" or lists several languages: BM25 stems
/// each corpus document in the language guessed for it, as <c>skald evaluate --language auto</c> and
/// <c>index build --language auto</c> do (the scores themselves: <c>MixedLanguageBm25ModelTests</c>); a task of one
/// language keeps that language's stemmer.
/// </summary>
public sealed class BenchmarkAutoStemmingTests
{
    [Fact]
    public void AutoAndMixedTasksStemEachDocumentInItsOwnLanguage()
    {
        // Danish "fakturaerne" is "faktura" by the Danish stemmer, "fakturaern" by the Norwegian one; the query's "fakturaer" is "faktura" by both
        string task = BeirFolder.Write(
            "{\"_id\": \"d1\", \"text\": \"Fakturaerne sendes i morgen, og hvis nogen ikke har betalt efter fjorten dage, bliver der sendt en rykker. Hvad der sker derefter, ved vi ikke meget om.\"}\n" +
            "{\"_id\": \"d2\", \"text\": \"Bilene står ute og blir vasket i morgen, men det er ikke noe vi kan gjøre noe med.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"fakturaer\"}\n",
            "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        string dir = TestPaths.NewTempDir(), suite = Path.Combine(dir, "suite.json"), report = Path.Combine(dir, "report");
        string path = JsonSerializer.Serialize(task);
        File.WriteAllText(suite, $$"""
            {"tasks": [{"name": "auto", "type": "retrieval", "path": {{path}}, "language": "auto"},
                       {"name": "mixed", "type": "retrieval", "path": {{path}}, "language": "nb,da"},
                       {"name": "norwegian", "type": "retrieval", "path": {{path}}, "language": "nb"}]}
            """);
        var r = InProcessSkald.Capture("benchmark", "--models", "bm25", "--suite", suite, "--output", report, "--no-cache", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var results = JsonDocument.Parse(File.ReadAllText(report + ".json")).RootElement.GetProperty("results").EnumerateArray()
            .ToDictionary(e => e.GetProperty("task").GetString()!, e => e.Clone());
        foreach (string name in new[] { "auto", "mixed" })
        {
            Assert.Equal(1.0, results[name].GetProperty("main_score").GetDouble(), 6);
            Assert.Equal("snowball per document", results[name].GetProperty("metadata").GetProperty("model.stemming").GetString());
        }
        Assert.Equal(0.0, results["norwegian"].GetProperty("main_score").GetDouble(), 6);
        Assert.Equal("snowball norwegian", results["norwegian"].GetProperty("metadata").GetProperty("model.stemming").GetString());
    }
}
