using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald rerank</c> and <c>skald evaluate</c> with a PyLate ColBERT folder (fixtures/models/colbert-bert-tiny), checked
/// against make_colbert.py's PyTorch MaxSim scores (expected_scores.json), and its bad configs as one-line errors.
/// </summary>
public sealed class ColbertCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");

    private static string[] Texts() =>
        [.. File.ReadLines(Path.Combine(Model, "expected_documents.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    private static float[][] Scores()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "expected_scores.json")));
        return [.. doc.RootElement.GetProperty("scores").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];
    }

    [Fact]
    public void RerankOrdersTheDocumentsByPyLatesMaxSim()
    {
        var texts = Texts();
        var scores = Scores();
        int[] docs = [3, 7, 11, 19, 25, 30];
        const int query = 5;
        string file = Path.Combine(TestPaths.NewTempDir(), "docs.txt");
        File.WriteAllLines(file, docs.Select(d => texts[d]));
        var r = InProcessSkald.Capture("rerank", "--model", Model, "--query", texts[query], "--documents", file, "--format", "json", "--batch-size", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var results = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");
        var expected = Enumerable.Range(0, docs.Length).OrderByDescending(i => scores[query][docs[i]]).ToArray();
        Assert.Equal(docs.Length, results.GetArrayLength());
        for (int i = 0; i < docs.Length; i++)
        {
            Assert.Equal(expected[i], results[i].GetProperty("index").GetInt32());
            Assert.True(Math.Abs(scores[query][docs[expected[i]]] - results[i].GetProperty("score").GetSingle()) <= 1e-5, $"result {i}");
        }
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", Model, "--query", "q", "--documents", file, "--max-length", "8"), 2,
            "--max-length is for cross-encoders");
    }

    [Fact]
    public void EvaluateRetrievesByExactMaxSimWithTheSharedMetrics()
    {
        var texts = Texts();
        var scores = Scores();
        int[] corpus = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18];
        (int Query, int Relevant)[] judged = [(1, 4), (9, 10), (13, 16), (21, 0)];
        string Json(string id, string text) => JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = id, ["text"] = text });
        string task = BeirFolder.Write(string.Concat(corpus.Select(d => Json($"d{d}", texts[d]) + "\n")),
            string.Concat(judged.Select(j => Json($"q{j.Query}", texts[j.Query]) + "\n")),
            "query-id\tcorpus-id\tscore\n" + string.Concat(judged.Select(j => $"q{j.Query}\td{j.Relevant}\t1\n")));
        // MRR@10 from the PyTorch scores: the relevant document's rank among the corpus by MaxSim.
        double mrr = judged.Average(j =>
        {
            int rank = 1 + corpus.Count(d => scores[j.Query][d] > scores[j.Query][j.Relevant]);
            return rank <= 10 ? 1.0 / rank : 0.0;
        });
        string results = Path.Combine(TestPaths.NewTempDir(), "results.json");
        var r = InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--output", results, "--batch-size", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(results));
        Assert.Equal(mrr, doc.RootElement.GetProperty("metrics").GetProperty("mrr_at_10").GetDouble(), 6);
        Assert.Contains("maxsim", doc.RootElement.GetProperty("metadata").GetProperty("model.scoring").GetString());
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--hnsw", "8"), 2, "exact MaxSim");

        // A reranking task: each query's candidates (top_ranked) scored, nothing else.
        int[][] candidates = [[2, 4, 6], [10, 12, 14, 16], [16, 0], [0, 8, 18]];
        File.WriteAllText(Path.Combine(task, "top_ranked.jsonl"), string.Concat(judged.Select((j, q) =>
            JsonSerializer.Serialize(new Dictionary<string, object> { ["query-id"] = $"q{j.Query}", ["corpus-ids"] = candidates[q].Select(d => $"d{d}").ToArray() }) + "\n")));
        double rerankedMrr = judged.Select((j, q) => 1.0 / (1 + candidates[q].Count(d => scores[j.Query][d] > scores[j.Query][j.Relevant]))).Average();
        var reranked = InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--output", results);
        Assert.True(reranked.ExitCode == 0, reranked.Stderr);
        using var rerankedDoc = JsonDocument.Parse(File.ReadAllText(results));
        Assert.Equal("reranking", rerankedDoc.RootElement.GetProperty("type").GetString());
        Assert.Equal(rerankedMrr, rerankedDoc.RootElement.GetProperty("metrics").GetProperty("mrr_at_10").GetDouble(), 6);
    }

    [Fact]
    public void AnInvalidOrMissingConfigKeyIsOneLineNamingFileAndKey()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs.txt");
        File.WriteAllLines(docs, ["en", "to"]);
        string bad = TestPaths.CopyFolder(Model, Path.Combine(TestPaths.NewTempDir(), "colbert"));
        string config = Path.Combine(bad, "config_sentence_transformers.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"query_length\": 16", "\"query_length\": \"sixteen\"", StringComparison.Ordinal));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", bad, "--query", "q", "--documents", docs), 1,
            "config_sentence_transformers.json", "key \"query_length\" must be an integer");

        File.WriteAllText(config, File.ReadAllText(Path.Combine(Model, "config_sentence_transformers.json"))
            .Replace("\"query_prefix\": \"[Q] \"", "\"query_prefix\": \"[QUERY] \"", StringComparison.Ordinal));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", bad, "--query", "q", "--documents", docs), 1,
            "config_sentence_transformers.json", "key \"query_prefix\"", "[QUERY] ");

        File.Copy(Path.Combine(Model, "config_sentence_transformers.json"), config, overwrite: true);
        string dense = Path.Combine(bad, "1_Dense", "config.json");
        File.WriteAllText(dense, "{\"in_features\": 32, \"bias\": false, \"activation_function\": \"torch.nn.modules.linear.Identity\"}");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", bad, "--query", "q", "--documents", docs), 1,
            Path.Combine("1_Dense", "config.json"), "missing key \"out_features\"");
    }

    [Fact]
    public void AsASentenceEmbedderItIsRefusedInOneLine()
    {
        string file = Path.Combine(TestPaths.NewTempDir(), "texts.txt");
        File.WriteAllLines(file, ["en tekst"]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", file, "--output", Path.ChangeExtension(file, ".jsonl")), 1, "a late-interaction (ColBERT / PyLate) model");
    }
}
