using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald encode --bge-m3</c>, <c>skald evaluate --bge-m3</c> and <c>skald rerank</c> with a BGE-M3 folder
/// (fixtures/models/bge-m3-tiny), checked against make_bge_m3.py's PyTorch outputs and scores (in process; rerank's
/// JSON goes to the raw standard output, so it runs as a process).
/// </summary>
[Collection(InProcessSkaldCollection.Name)]
public sealed class BgeM3CommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    private static List<JsonElement> Expected() =>
        [.. File.ReadLines(Path.Combine(Model, "expected.jsonl")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement)];

    private static float[][] Scores(string key)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "expected_scores.json")));
        return [.. doc.RootElement.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];
    }

    private static string TextsFile(IEnumerable<string> texts)
    {
        string file = Path.Combine(TestPaths.NewTempDir(), "texts.txt");
        File.WriteAllLines(file, texts);
        return file;
    }

    [Fact]
    public void EncodeWritesTheLexicalWeightsAndTheColbertVectors()
    {
        var expected = Expected().Take(6).ToList();
        string input = TextsFile(expected.Select(e => e.GetProperty("text").GetString()!));
        string sparse = Path.Combine(TestPaths.NewTempDir(), "sparse.jsonl"), colbert = Path.ChangeExtension(sparse, ".colbert.jsonl");
        var r = InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", sparse, "--bge-m3", "sparse", "--batch-size", "4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = File.ReadAllLines(sparse).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("sparse_ids").EnumerateArray().Select(x => x.GetInt32()), rows[i].GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()));
            var (want, got) = (expected[i].GetProperty("sparse_values").EnumerateArray().ToList(), rows[i].GetProperty("values").EnumerateArray().ToList());
            for (int j = 0; j < want.Count; j++) Assert.True(Math.Abs(want[j].GetSingle() - got[j].GetSingle()) <= 1e-5, $"text {i}, weight {j}");
            Assert.Equal(want.Count, rows[i].GetProperty("tokens").GetArrayLength());
        }

        r = InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", colbert, "--bge-m3", "colbert");
        Assert.True(r.ExitCode == 0, r.Stderr);
        rows = [.. File.ReadAllLines(colbert).Select(l => JsonDocument.Parse(l).RootElement)];
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("colbert_ids").EnumerateArray().Select(x => x.GetInt32()), rows[i].GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()));
            var want = expected[i].GetProperty("colbert").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            var got = rows[i].GetProperty("vectors").EnumerateArray().SelectMany(v => v.EnumerateArray()).Select(x => x.GetSingle()).ToArray();
            Assert.Equal(want.Length, got.Length);
            for (int j = 0; j < want.Length; j++) Assert.True(Math.Abs(want[j] - got[j]) <= 1e-5, $"text {i}, value {j}");
        }

        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", Path.ChangeExtension(sparse, ".npy"), "--bge-m3", "colbert"), 2,
            "--bge-m3 colbert writes .jsonl");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", sparse, "--bge-m3", "sparse", "--truncate-dim", "8"), 2,
            "--truncate-dim does not apply with --bge-m3 sparse");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("xlmr-cls-f16"), "--input", input, "--output", sparse, "--bge-m3", "sparse"), 2,
            "--bge-m3 is for BGE-M3 folders");
    }

    [Fact]
    public void EncodeAllWritesTheThreeOutputsOfEachTextOnOneLine()
    {
        var expected = Expected().Take(5).ToList();
        string input = TextsFile(expected.Select(e => e.GetProperty("text").GetString()!));
        string output = Path.Combine(TestPaths.NewTempDir(), "all.jsonl");
        var r = InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", output, "--bge-m3", "all", "--batch-size", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(expected.Count, rows.Count);
        static float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetSingle())];
        static void Near(float[] want, float[] got, string what)
        {
            Assert.Equal(want.Length, got.Length);
            for (int j = 0; j < want.Length; j++) Assert.True(Math.Abs(want[j] - got[j]) <= 1e-5, $"{what}, value {j}");
        }
        for (int i = 0; i < expected.Count; i++)
        {
            Near(Floats(expected[i].GetProperty("dense")), Floats(rows[i].GetProperty("dense")), $"text {i} dense");
            var sparse = rows[i].GetProperty("sparse");
            Assert.Equal(expected[i].GetProperty("sparse_ids").EnumerateArray().Select(x => x.GetInt32()), sparse.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()));
            Near(Floats(expected[i].GetProperty("sparse_values")), Floats(sparse.GetProperty("values")), $"text {i} sparse");
            Assert.Equal(sparse.GetProperty("indices").GetArrayLength(), sparse.GetProperty("tokens").GetArrayLength());
            var colbert = rows[i].GetProperty("colbert");
            Assert.Equal(expected[i].GetProperty("colbert_ids").EnumerateArray().Select(x => x.GetInt32()), colbert.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()));
            Near(Floats(expected[i].GetProperty("colbert")), [.. colbert.GetProperty("vectors").EnumerateArray().SelectMany(Floats)], $"text {i} colbert");
        }
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", Path.ChangeExtension(output, ".npy"), "--bge-m3", "all"), 2,
            "--bge-m3 all writes .jsonl");
    }

    [Fact]
    public void EncodeWithoutTheOptionStillWritesTheDenseVector()
    {
        var expected = Expected().Take(3).ToList();
        string input = TextsFile(expected.Select(e => e.GetProperty("text").GetString()!));
        string output = Path.Combine(TestPaths.NewTempDir(), "dense.jsonl");
        var r = InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToList();
        for (int i = 0; i < expected.Count; i++)
        {
            var want = expected[i].GetProperty("dense").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            for (int j = 0; j < want.Length; j++) Assert.True(Math.Abs(want[j] - rows[i][j]) <= 1e-5, $"text {i}, value {j}");
        }
    }

    [Theory]
    [InlineData("dense", "dense", null)]
    [InlineData("sparse", "sparse", null)]
    [InlineData("colbert", "colbert", null)]
    [InlineData("all", "combined", "0.4,0.2,0.4")]
    public void EvaluateRetrievesByTheChosenScoreWithTheSharedMetrics(string mode, string key, string? weights)
    {
        var texts = Expected().Select(e => e.GetProperty("text").GetString()!).ToList();
        var scores = Scores(key);
        int[] corpus = [8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30];
        (int Query, int Relevant)[] judged = [(1, 10), (2, 14), (3, 22), (5, 30), (6, 8)];
        string Json(string id, string text) => JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = id, ["text"] = text });
        string task = BeirFolder.Write(string.Concat(corpus.Select(d => Json($"d{d}", texts[d]) + "\n")),
            string.Concat(judged.Select(j => Json($"q{j.Query}", texts[j.Query]) + "\n")),
            "query-id\tcorpus-id\tscore\n" + string.Concat(judged.Select(j => $"q{j.Query}\td{j.Relevant}\t1\n")));
        // MRR@10 from the PyTorch scores: the relevant document's rank among the corpus, ties (the sparse score's zeros)
        // by document id descending as the shared scorer breaks them.
        double mrr = judged.Average(j =>
        {
            float mine = scores[j.Query][j.Relevant];
            int rank = 1 + corpus.Count(d => scores[j.Query][d] > mine
                || (scores[j.Query][d] == mine && string.CompareOrdinal($"d{d}", $"d{j.Relevant}") > 0));
            return rank <= 10 ? 1.0 / rank : 0.0;
        });
        string results = Path.Combine(TestPaths.NewTempDir(), "results.json");
        string[] args = ["evaluate", "--model", Model, "--task", task, "--output", results, "--batch-size", "3", "--bge-m3", mode];
        var r = InProcessSkald.Capture(weights is null ? args : [.. args, "--bge-m3-weights", weights]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(results));
        Assert.Equal(mrr, doc.RootElement.GetProperty("metrics").GetProperty("mrr_at_10").GetDouble(), 6);
        Assert.Contains($"bge-m3 {mode}", doc.RootElement.GetProperty("metadata").GetProperty("model.scoring").GetString());
    }

    [Fact]
    public void EvaluateRefusesWhatDoesNotApply()
    {
        string task = BeirFolder.Write("{\"_id\":\"d1\",\"text\":\"en\"}\n", "{\"_id\":\"q1\",\"text\":\"to\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--bge-m3", "sparse", "--bge-m3-weights", "1,1,1"), 2,
            "--bge-m3-weights applies with --bge-m3 all");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--bge-m3", "all", "--bge-m3-weights", "1,-1,1"), 2,
            "--bge-m3-weights: the sparse weight must be a finite number of at least 0");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--bge-m3", "dense", "--hnsw", "8"), 2,
            "does not apply with --bge-m3");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("xlmr-cls-f16"), "--task", task, "--bge-m3", "dense"), 2,
            "--bge-m3 is for BGE-M3 folders");
    }

    [Fact]
    public void RerankOrdersByTheWeightedScore()
    {
        var texts = Expected().Select(e => e.GetProperty("text").GetString()!).ToList();
        var scores = Scores("combined");
        int[] docs = [9, 15, 21, 27, 33, 39];
        const int query = 4;
        string file = TextsFile(docs.Select(d => texts[d]));
        var r = InProcessSkald.Capture("rerank", "--model", Model, "--query", texts[query], "--documents", file, "--format", "json", "--bge-m3-weights", "0.4,0.2,0.4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var results = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");
        var expected = Enumerable.Range(0, docs.Length).OrderByDescending(i => scores[query][docs[i]]).ToArray();
        for (int i = 0; i < docs.Length; i++)
        {
            Assert.Equal(expected[i], results[i].GetProperty("index").GetInt32());
            Assert.True(Math.Abs(scores[query][docs[expected[i]]] - results[i].GetProperty("score").GetSingle()) <= 1e-5, $"result {i}");
        }
    }

    [Fact]
    public void ABadHeadIsOneLineNamingTheFileAndTheKey()
    {
        string bad = TestPaths.CopyOfFixtureModel("bge-m3-tiny");
        File.Copy(Path.Combine(TestPaths.FixtureModel("bge-m3-tiny-bad"), "colbert_no_weight.pt"), Path.Combine(bad, "colbert_linear.pt"), overwrite: true);
        string input = TextsFile(["en tekst"]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", bad, "--input", input, "--output", Path.ChangeExtension(input, ".jsonl"), "--bge-m3", "colbert"), 1,
            "colbert_linear.pt: missing tensor \"weight\"");
    }
}
