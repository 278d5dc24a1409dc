using System.Text.Json;
using Skald.Hub;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// A Stanford ColBERT checkpoint (fixtures/models/colbert-stanford-tiny: HF_ColBERT, artifact.metadata, no
/// modules.json) through the commands that take a ColBERT: <c>skald rerank</c> against make_stanford_colbert.py's
/// PyTorch scores, <c>skald index build</c> + <c>skald search</c> against <see cref="ColbertEncoder.Rank"/>, and the hub
/// download fetching artifact.metadata.
/// </summary>
public sealed class StanfordColbertCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-stanford-tiny");
    private static readonly string Documents = SampleDocuments.Folder;

    [Fact]
    public void RerankOrdersTheDocumentsByTheStanfordScores()
    {
        string[] texts = [.. File.ReadLines(Path.Combine(Model, "expected_documents.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "expected_scores.json")));
        const int query = 5;
        var row = doc.RootElement.GetProperty("scores")[query];
        int[] docs = [1, 4, 9, 12, 17, 19];
        string file = Path.Combine(TestPaths.NewTempDir(), "docs.txt");
        File.WriteAllLines(file, docs.Select(d => texts[d]));
        var r = InProcessSkald.Capture("rerank", "--model", Model, "--query", texts[query], "--documents", file, "--format", "json", "--batch-size", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var results = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");
        var expected = Enumerable.Range(0, docs.Length).OrderByDescending(i => row[docs[i]].GetSingle()).ToArray();
        Assert.Equal(docs.Length, results.GetArrayLength());
        for (int i = 0; i < docs.Length; i++)
        {
            Assert.Equal(expected[i], results[i].GetProperty("index").GetInt32());
            Assert.True(Math.Abs(row[docs[expected[i]]].GetSingle() - results[i].GetProperty("score").GetSingle()) <= 1e-5, $"result {i}");
        }
    }

    [Fact]
    public void EvaluateRetrievesByTheStanfordScores()
    {
        string[] texts = [.. File.ReadLines(Path.Combine(Model, "expected_documents.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "expected_scores.json")));
        var scores = expected.RootElement.GetProperty("scores");
        int[] corpus = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18];
        (int Query, int Relevant)[] judged = [(1, 4), (9, 10), (13, 16), (19, 0)];
        string Json(string id, string text) => JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = id, ["text"] = text });
        string task = BeirFolder.Write(string.Concat(corpus.Select(d => Json($"d{d}", texts[d]) + "\n")),
            string.Concat(judged.Select(j => Json($"q{j.Query}", texts[j.Query]) + "\n")),
            "query-id\tcorpus-id\tscore\n" + string.Concat(judged.Select(j => $"q{j.Query}\td{j.Relevant}\t1\n")));
        double mrr = judged.Average(j =>
        {
            int rank = 1 + corpus.Count(d => scores[j.Query][d].GetSingle() > scores[j.Query][j.Relevant].GetSingle());
            return rank <= 10 ? 1.0 / rank : 0.0;
        });
        string results = Path.Combine(TestPaths.NewTempDir(), "results.json");
        var r = InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--output", results, "--batch-size", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(results));
        Assert.Equal(mrr, doc.RootElement.GetProperty("metrics").GetProperty("mrr_at_10").GetDouble(), 6);
    }

    [Fact]
    public void AnIndexOfItIsSearchedByItsMaxSimAndEncodeRefusesIt()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var build = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--language", "nb", "-q");
        Assert.True(build.ExitCode == 0, build.Stderr);
        const string query = "Hvor kan jeg parkere sykkelen?";
        var r = InProcessSkald.Capture("search", "--index", folder, "--query", query, "--mode", "dense", "--top-k", "5", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var results = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");
        IReadOnlyList<IndexRecord> records;
        using (var index = SearchIndex.Open(folder)) records = index.Records;
        using var encoder = ColbertEncoder.Load(Model);
        var ranked = encoder.Rank(query, [.. records.Select(x => x.FullText)], topK: 5);
        Assert.Equal(5, results.GetArrayLength());
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(records[ranked[i].Index].Id, results[i].GetProperty("id").GetString());
            Assert.True(Math.Abs(ranked[i].Score - results[i].GetProperty("score").GetSingle()) <= 1e-6, $"result {i}");
        }
        string texts = Path.Combine(TestPaths.NewTempDir(), "texts.txt");
        File.WriteAllLines(texts, ["en tekst"]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", texts, "--output", Path.ChangeExtension(texts, ".jsonl")), 1,
            "a Stanford ColBERT checkpoint");
    }

    [Fact]
    public void AnIndexNoticesItsModelsMetadataChanging()
    {
        string dir = TestPaths.NewTempDir();
        string model = TestPaths.CopyFolder(Model, Path.Combine(dir, "model"));
        string folder = Path.Combine(dir, "idx");
        var build = InProcessSkald.Capture("index", "build", "--model", model, "--documents", Documents, "--output", folder, "--language", "nb", "-q");
        Assert.True(build.ExitCode == 0, build.Stderr);
        string metadata = Path.Combine(model, StanfordColbert.MetadataFile);
        File.WriteAllText(metadata, File.ReadAllText(metadata).Replace("\"doc_maxlen\": 24", "\"doc_maxlen\": 20", StringComparison.Ordinal));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", "sykkel", "--mode", "dense"), 1, "its files differ");
    }

    [Fact]
    public void TheHubDownloadFetchesArtifactMetadata()
    {
        string snapshot = TestPaths.NewTempDir();
        string[] files = ["config.json", "artifact.metadata", "model.safetensors", "pytorch_model.bin", "tokenizer.json", "vocab.txt", "other.metadata"];
        var chosen = ModelFiles.Rest(HubId.TryParse("colbert-ir/colbertv2.0")!, files, snapshot);
        Assert.Contains(StanfordColbert.MetadataFile, chosen);
        Assert.Contains("model.safetensors", chosen);
        Assert.DoesNotContain("other.metadata", chosen);
    }
}
