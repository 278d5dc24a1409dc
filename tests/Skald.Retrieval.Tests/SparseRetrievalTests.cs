using Skald.Models;
using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;
using Skald.Retrieval.Sparse;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Sparse retrieval: the inverted index ranks as a dense dot-product scan of the same vectors (ties included), the
/// retriever's metrics and candidate scores equal the dense retriever's, and the dense-only options are refused.
/// </summary>
public sealed class SparseRetrievalTests
{
    internal sealed class SparseTable(Dictionary<string, float[]> vectors, SimilarityFunction similarity = SimilarityFunction.Dot) : IEmbeddingModel
    {
        public string Name => "sparse-table";
        public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();
        public int Dimension => vectors.Values.First().Length;
        public SimilarityFunction Similarity => similarity;
        public bool IsSparse => true;
        public float[][] Embed(IReadOnlyList<string> texts, TextRole role) => [.. texts.Select(t => vectors[t])];
        public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];
    }

    /// <summary>Non-negative vectors with about <paramref name="active"/> of <paramref name="dim"/> entries set, some rows repeated (ties).</summary>
    private static Dictionary<string, float[]> Vectors(Random rng, int docs, int queries, int dim, int active)
    {
        var v = new Dictionary<string, float[]>();
        for (int i = 0; i < docs + queries; i++)
        {
            var row = new float[dim];
            for (int k = 0; k < active; k++) row[rng.Next(dim)] = MathF.Round((float)rng.NextDouble() * 4f) / 4f + 0.25f;
            v[i < docs ? $"doc {i}" : $"query {i - docs}"] = row;
        }
        v["doc 5"] = v["doc 2"]; // equal scores for every query: the tie goes to the larger id
        return v;
    }

    /// <summary>A sparse model whose similarity is cosine (a CSR model made from a cosine embedder) ranks as a cosine scan.</summary>
    [Fact]
    public void ACosineModelRanksAsTheDenseCosineScanDoes()
    {
        var rng = new Random(8);
        int docs = 200, queries = 15, dim = 300;
        var v = Vectors(rng, docs, queries, dim, 10);
        foreach (var key in v.Keys.Where(k => k.StartsWith("doc", StringComparison.Ordinal)).ToList())
            v[key] = [.. v[key].Select((x, i) => x * (1 + key.Length % 5 + i % 3))]; // lengths differ, so dot and cosine rank differently
        var corpus = Enumerable.Range(0, docs).Select(i => new CorpusDocument($"d{i:000}", "", $"doc {i}")).ToList();
        var texts = Enumerable.Range(0, queries).Select(i => $"query {i}").ToList();
        var sparse = new SparseRetriever(new SparseTable(v, SimilarityFunction.Cosine)).Search(corpus, texts, 20, null);
        var cosine = new DenseRetriever(new TableModel(v, SimilarityFunction.Cosine)).Search(corpus, texts, 20, null);
        var dot = new SparseRetriever(new SparseTable(v)).Search(corpus, texts, 20, null);
        Assert.Contains(Enumerable.Range(0, queries), q => !dot[q].Select(h => h.Index).SequenceEqual(cosine[q].Select(h => h.Index)));
        for (int q = 0; q < queries; q++)
        {
            Assert.Equal(cosine[q].Select(h => h.Index), sparse[q].Select(h => h.Index));
            for (int i = 0; i < cosine[q].Length; i++) Assert.Equal(cosine[q][i].Score, sparse[q][i].Score, 5);
        }
        Assert.Contains("cosine", new SparseRetriever(new SparseTable(v, SimilarityFunction.Cosine)).Metadata["search"]);
        Assert.Throws<EvaluationException>(() => new SparseRetriever(new SparseTable(v, SimilarityFunction.Euclidean)).Search(corpus, texts, 5, null));
    }

    [Fact]
    public void TheIndexRanksAsTheDenseScanDoes()
    {
        var rng = new Random(4);
        int docs = 300, queries = 25, dim = 500;
        var v = Vectors(rng, docs, queries, dim, 12);
        var corpus = Enumerable.Range(0, docs).Select(i => new CorpusDocument($"d{i:000}", "", $"doc {i}")).ToList();
        var texts = Enumerable.Range(0, queries).Select(i => $"query {i}").ToList();
        var sparse = new SparseRetriever(new SparseTable(v)).Search(corpus, texts, 20, null);
        var dense = new DenseRetriever(new TableModel(v, SimilarityFunction.Dot)).Search(corpus, texts, 20, null);
        for (int q = 0; q < queries; q++)
        {
            Assert.Equal(dense[q].Select(h => h.Index), sparse[q].Select(h => h.Index));
            for (int i = 0; i < dense[q].Length; i++) Assert.Equal(dense[q][i].Score, sparse[q][i].Score, 5);
        }
        // Documents sharing no entry with a query still fill its list, at score 0 (as a dense scan ranks them).
        var lonely = new Dictionary<string, float[]>(v) { ["query 0"] = new float[dim] };
        lonely["query 0"][0] = 1f;
        var hits = new SparseRetriever(new SparseTable(lonely)).Search(corpus, ["query 0"], 20, null)[0];
        Assert.Equal(20, hits.Length);
    }

    [Fact]
    public void MetricsCandidatesAndMetadataMatchTheDenseRetriever()
    {
        var rng = new Random(8);
        var v = Vectors(rng, 60, 6, 200, 10);
        var corpus = Enumerable.Range(0, 60).Select(i => new CorpusDocument($"d{i:00}", "", $"doc {i}")).ToList();
        var qrels = Enumerable.Range(0, 6).ToDictionary(q => $"q{q}",
            q => (IReadOnlyDictionary<string, int>)new Dictionary<string, int> { [$"d{q * 7:00}"] = 1, [$"d{q * 3 + 1:00}"] = 2 });
        var data = RetrievalData.Create(corpus, [.. Enumerable.Range(0, 6).Select(q => ($"q{q}", $"query {q}"))], qrels);
        var sparse = new SparseRetriever(new SparseTable(v));
        var a = RetrievalScorer.Score(sparse, data, topK: 100, cutoffs: [1, 10]);
        var b = RetrievalScorer.Score(new DenseRetriever(new TableModel(v, SimilarityFunction.Dot)), data, topK: 100, cutoffs: [1, 10]);
        Assert.Equal(b.Keys, a.Keys);
        foreach (var k in b.Keys) Assert.Equal(b[k], a[k], 9);
        double active = corpus.Average(d => v[d.Text].Count(x => x != 0));
        Assert.Equal(active.ToString("F1", System.Globalization.CultureInfo.InvariantCulture), sparse.Metadata["corpus_active_dims"]);

        int[][] candidates = [[3, 9, 1], [0, 59]];
        var scores = sparse.ScoreCandidates(corpus, ["query 0", "query 1"], candidates, null);
        for (int q = 0; q < 2; q++)
        {
            for (int i = 0; i < candidates[q].Length; i++)
            {
                double dot = v[$"query {q}"].Zip(v[$"doc {candidates[q][i]}"], (x, y) => (double)x * y).Sum();
                Assert.Equal(dot, scores[q][i], 5);
            }
        }
    }

    [Fact]
    public void DenseOnlyOptionsAreRefusedForASparseEncoder()
    {
        var model = new SparseTable(new Dictionary<string, float[]> { ["x"] = [1f, 0f] });
        Assert.IsType<SparseRetriever>(EmbeddingRetriever.For(model));
        Assert.IsType<DenseRetriever>(EmbeddingRetriever.For(new TableModel(new Dictionary<string, float[]> { ["x"] = [1f, 0f] })));
        var e = Assert.Throws<EvaluationException>(() => EmbeddingRetriever.For(model, ivf: new Ivf.IvfOptions { Lists = 4 }));
        Assert.Contains("--ivf-lists is for dense embedding models", e.Message);
        e = Assert.Throws<EvaluationException>(() => EmbeddingRetriever.For(model, LongDocuments.Chunk));
        Assert.Contains("--long-documents chunk", e.Message);
    }

    /// <summary>A first stage that returns fixed hits (BM25's part in a hybrid).</summary>
    private sealed class FixedHits(Hit[] hits) : IRetrievalModel
    {
        public string Name => "fixed";
        public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();
        public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language) =>
            [.. queries.Select(_ => hits.Take(topK).ToArray())];
    }

    [Fact]
    public void HybridRerankOrdersTheFirstStagesCandidatesByTheSparseScore()
    {
        var rng = new Random(12);
        var v = Vectors(rng, 30, 1, 100, 8);
        var corpus = Enumerable.Range(0, 30).Select(i => new CorpusDocument($"d{i:00}", "", $"doc {i}")).ToList();
        var first = new FixedHits([new Hit(3, 9f), new Hit(17, 8f), new Hit(8, 7f), new Hit(25, 6f)]);
        var model = new SparseTable(v);
        var hits = new HybridRetriever(first, EmbeddingRetriever.For(model), new FusionOptions(HybridMode.Rerank)).Search(corpus, ["query 0"], 4, null)[0];
        double Dot(int d) => v["query 0"].Zip(v[$"doc {d}"], (x, y) => (double)x * y).Sum();
        Assert.Equal(new[] { 3, 17, 8, 25 }.OrderByDescending(Dot).ThenByDescending(d => d), hits.Select(h => h.Index));
        // Fusion takes the sparse retriever's own top-N beside the first stage's.
        var fused = new HybridRetriever(first, EmbeddingRetriever.For(model)).Search(corpus, ["query 0"], 10, null)[0];
        int best = Enumerable.Range(0, 30).OrderByDescending(Dot).ThenByDescending(d => d).First();
        Assert.Contains(fused, h => h.Index == best);
    }

    [Fact]
    public void MaxActiveDimsKeepsTheLargestWeights()
    {
        var e = SparseEmbedding.FromDense([0f, 0.5f, 0.2f, 0f, 0.9f, 0.2f], maxActiveDims: 3);
        Assert.Equal([1, 2, 4], e.Indices); // 0.9, 0.5, then of the tied 0.2s the lower id
        Assert.Equal([0.5f, 0.2f, 0.9f], e.Values);
    }
}
