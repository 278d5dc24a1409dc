using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Evaluation.Tests;

/// <summary>A model with hand-made vectors: a text's vector is looked up by its first word; <paramref name="sparse"/>: it stands for a sparse encoder.</summary>
internal sealed class FakeModel(Dictionary<string, float[]> vectors, SimilarityFunction similarity = SimilarityFunction.Cosine, bool sparse = false) : IEmbeddingModel
{
    public bool IsSparse => sparse;
    public string Name => "fake";
    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();
    public int Dimension => vectors.Values.First().Length;
    public SimilarityFunction Similarity => similarity;
    public int Calls { get; private set; }

    public float[][] Embed(IReadOnlyList<string> texts, TextRole role)
    {
        Calls++;
        return [.. texts.Select(t => vectors[t.Split(' ')[0]])];
    }

    public IReadOnlyList<string> SplitToFit(string text, TextRole role) => text.Split(" | ");
}

public sealed class EvaluatorTests
{
    private static string Write(string name, string content)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void RetrievalWithEmbeddingsAndBm25()
    {
        string dir = BeirFolder.Write(
            "{\"_id\":\"d1\",\"text\":\"red apple\"}\n{\"_id\":\"d2\",\"text\":\"green pear\"}\n{\"_id\":\"d3\",\"text\":\"blue | red sky\"}\n",
            "{\"_id\":\"q1\",\"text\":\"red apple?\"}\n{\"_id\":\"q2\",\"text\":\"green\"}\n{\"_id\":\"q3\",\"text\":\"zzz\"}\n",
            "q1\td1\t1\nq2\td2\t1\nq3\td2\t0\n");
        var model = new FakeModel(new()
        {
            ["red"] = [1, 0, 0], ["green"] = [0, 1, 0], ["blue"] = [0, 0, 1], ["zzz"] = [0, 0, 1],
        });
        var task = TaskDefinition.FromPath(dir, name: "toy", language: "en");
        var r = TaskEvaluator.Create(task).Evaluate(model);
        Assert.Equal("ndcg_at_10", r.MainMetric);
        Assert.Equal(2.0 / 3, r.MainScore, 12); // q3 has no relevant document: 0
        Assert.Equal("retrieval", r.Type);
        Assert.Equal("1", r.Metadata["queries_without_relevant"]);
        var bm25 = TaskEvaluator.Create(task).Evaluate(new Bm25Model());
        Assert.Equal(2.0 / 3, bm25.Metrics["accuracy_at_1"], 12);
        // Chunking: d3's second piece "red sky" now matches q1 as well as d1 does (tie, "d3" > "d1" wins).
        var chunked = TaskEvaluator.Create(task, new RetrievalOptions { LongDocuments = LongDocuments.Chunk }).Evaluate(model);
        Assert.Equal(1.0 / 3 * (0.5 + 1), chunked.Metrics["mrr_at_10"], 12);
        var json = TaskResult.FromJson(r.ToJson());
        Assert.Equal(r.MainScore, json.MainScore);
        Assert.Contains("\"main_score\"", r.ToJson());
    }

    [Fact]
    public void StsPairsTripletsClassificationClusteringBitext()
    {
        var model = new FakeModel(new()
        {
            ["a"] = [1, 0], ["b"] = [0.9f, 0.1f], ["c"] = [0, 1], ["d"] = [0.5f, 0.5f],
        });
        var sts = TaskEvaluator.Create(TaskDefinition.FromPath(Write("s.tsv", "sentence1\tsentence2\tscore\na\tb\t0.9\na\tc\t0.1\na\td\t0.5\n"))).Evaluate(model);
        Assert.Equal(1.0, sts.MainScore, 12);
        Assert.Equal("cosine_spearman", sts.MainMetric);
        var pairs = TaskEvaluator.Create(TaskDefinition.FromPath(Write("p.tsv", "sentence1\tsentence2\tlabel\na\tb\t1\na\tc\t0\na\td\t0\n"))).Evaluate(model);
        Assert.Equal(1.0, pairs.MainScore, 12);
        Assert.Equal(1.0, pairs.Metrics["cosine_f1"], 12);
        var trip = TaskEvaluator.Create(TaskDefinition.FromPath(Write("t.jsonl",
            "{\"anchor\":\"a\",\"positive\":\"b\",\"negative\":\"c\"}\n{\"anchor\":\"c\",\"positive\":\"a\",\"negative\":\"d\"}\n"))).Evaluate(model);
        Assert.Equal(0.5, trip.MainScore, 12);
        string cls = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(cls, "train.jsonl"), string.Concat(Enumerable.Repeat("{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\",\"label\":\"x\"}\n{\"text\":\"c\",\"label\":\"y\"}\n", 3)));
        File.WriteAllText(Path.Combine(cls, "test.jsonl"), "{\"text\":\"b\",\"label\":\"x\"}\n{\"text\":\"c\",\"label\":\"y\"}\n{\"text\":\"a\",\"label\":\"y\"}\n");
        var c = TaskEvaluator.Create(TaskDefinition.FromPath(cls)).Evaluate(model);
        Assert.Equal(2.0 / 3, c.MainScore, 12);
        Assert.Equal(TaskKind.Classification, TaskDefinition.Infer(cls));
        var clu = TaskEvaluator.Create(TaskDefinition.FromPath(cls, TaskKind.Clustering)).Evaluate(model);
        Assert.Equal("v_measure", clu.MainMetric);
        Assert.EndsWith("-clustering", clu.Task);
        var bit = TaskEvaluator.Create(TaskDefinition.FromPath(Write("b.jsonl",
            "{\"source\":\"a\",\"target\":\"b\"}\n{\"source\":\"c\",\"target\":\"c\"}\n{\"source\":\"d\",\"target\":\"a\"}\n"))).Evaluate(model);
        // a→b? cos(a,b)=.994 < cos(a,a)=1 → a→a (wrong); c→c right; d→ b (.78) vs a (.707) → b wrong. Backward: b→a right, c→c right, a→a wrong.
        Assert.Equal((1.0 / 3 + 2.0 / 3) / 2, bit.Metrics["accuracy"], 12);
        Assert.Equal("f1", bit.MainMetric);
    }

    [Fact]
    public void Bm25CannotDoNonRetrievalTasks()
    {
        var e = Assert.Throws<EvaluationException>(() => TaskEvaluator.Create(TaskDefinition.FromPath(
            Write("s.tsv", "sentence1\tsentence2\tscore\na\tb\t0.9\n"))).Evaluate(new Bm25Model()));
        Assert.Contains("only be evaluated on retrieval", e.Message);
    }

    [Fact]
    public void EvaluationEmbeddingModelCachesEmbeddingsOnDisk()
    {
        string cache = TestPaths.NewTempDir(), path = TestPaths.FixtureModel("bert-cased-mean");
        var m1 = EvaluationEmbeddingModel.Load(path, new EvaluationEmbeddingOptions { CacheDirectory = cache });
        string[] texts = ["Hei verden", "Hallo verda", "Hei verden"];
        var a = m1.Embed(texts, TextRole.Query);
        Assert.Equal(2, m1.EncodedCount); // duplicates encoded once
        Assert.Equal("query: ", m1.PromptFor(TextRole.Query));
        Assert.Equal("passage: ", m1.PromptFor(TextRole.Document));
        var m2 = EvaluationEmbeddingModel.Load(path, new EvaluationEmbeddingOptions { CacheDirectory = cache });
        var b = m2.Embed(texts, TextRole.Query);
        Assert.Equal(0, m2.EncodedCount);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(a[i], b[i]);
        var d = m2.Embed(["Hei verden"], TextRole.Document); // another prompt: another key
        Assert.Equal(1, m2.EncodedCount);
        Assert.NotEqual(a[0], d[0]);
        var direct = m1.Encoder.Encode(["Hei verden"], new Skald.Models.EncodeOptions { Prompt = "query: " })[0];
        for (int j = 0; j < direct.Length; j++) Assert.Equal(direct[j], b[0][j], 5); // batching changes padding, not values
        var pieces = m1.SplitToFit(string.Join(" ", Enumerable.Repeat("Hei verden og alle andre", 60)), TextRole.Document);
        Assert.True(pieces.Count > 1);
        Assert.All(pieces, p => Assert.True(m1.Encoder.Tokenizer.Encode("passage: " + p, true).Ids.Length <= m1.MaxTokens));
    }

    [Fact]
    public void ASparseEncodersEmbeddingsAreCachedAsTheirNonZeroEntries()
    {
        string cache = TestPaths.NewTempDir(), path = TestPaths.FixtureModel("splade-bert-tiny");
        string[] texts = ["Hvor ligger legekontoret?", "Bussen går fra kaia.", "Hvor ligger legekontoret?"];
        var m1 = EvaluationEmbeddingModel.Load(path, new EvaluationEmbeddingOptions { CacheDirectory = cache });
        Assert.True(m1.IsSparse);
        var a = m1.Embed(texts, TextRole.Document);
        Assert.Equal(2, m1.EncodedCount);
        int vocab = a[0].Length, active = a[0].Count(v => v != 0f);
        Assert.True(active > 0 && active < vocab, $"{active} of {vocab} entries set");
        var files = Directory.GetFiles(cache, "seg-*.bin", SearchOption.AllDirectories);
        Assert.Single(files);
        Assert.True(new FileInfo(files[0]).Length < 2 * 4L * vocab, "the segment holds the non-zero entries, not two dense rows");
        // A dense segment under the same key (an older build's) is skipped, not mistaken for sparse rows.
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(files[0])!, "seg-0-dense.bin"), [0x53, 0x4B, 0x45, 0x43, 1, 0, 0, 0, 9, 9, 9]);
        var m2 = EvaluationEmbeddingModel.Load(path, new EvaluationEmbeddingOptions { CacheDirectory = cache });
        var b = m2.Embed(texts, TextRole.Document);
        Assert.Equal(0, m2.EncodedCount);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(a[i], b[i]);
        var top = EvaluationEmbeddingModel.Load(path, new EvaluationEmbeddingOptions { CacheDirectory = cache, MaxActiveDims = 3 });
        var cut = top.Embed(texts[..1], TextRole.Document)[0];
        Assert.Equal(1, top.EncodedCount); // max_active_dims is part of the key
        Assert.Equal(3, cut.Count(v => v != 0f));
    }
}
