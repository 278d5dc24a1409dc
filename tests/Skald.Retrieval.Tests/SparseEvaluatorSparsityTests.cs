using System.Text.Json;
using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Sparse;

namespace Skald.Retrieval.Tests;

/// <summary>
/// The shared scorers of a sparse encoder report sentence-transformers' sparse evaluators' sparsity metrics, against
/// fixtures/sparse-evaluators/make_sparse_evaluators_reference.py's numpy restatement of upstream: pairs with 0/1 labels
/// (SparseBinaryClassificationEvaluator: the distinct texts), scored pairs (SparseEmbeddingSimilarityEvaluator: both
/// columns), triplets (SparseTripletEvaluator: per column) and a reranking file (SparseRerankingEvaluator: the queries,
/// and every sample's documents, a document listed twice counted twice); a dense model's metrics gain none of them.
/// </summary>
public sealed class SparseEvaluatorSparsityTests
{
    private static readonly JsonElement Root = new ReferenceJson("sparse-evaluators", "sparse_evaluators_reference.json").Root;

    private static Dictionary<string, float[]> Table() => Root.GetProperty("embeddings").EnumerateObject()
        .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).ToArray());

    private static string[] Texts(string task, string column) => [.. Root.GetProperty(task).GetProperty(column).EnumerateArray().Select(e => e.GetString()!)];

    private static void AssertExpected(string task, IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var p in Root.GetProperty("expected").GetProperty(task).EnumerateObject())
        {
            Assert.True(metrics.TryGetValue(p.Name, out double got), $"{task}: no {p.Name} in {string.Join(", ", metrics.Keys)}");
            Assert.True(Math.Abs(p.Value.GetDouble() - got) <= 1e-12, $"{task} {p.Name}: {got} != {p.Value.GetDouble()}");
        }
    }

    [Fact]
    public void PairsWithLabelsCountTheDistinctTextsAndScoredPairsBothColumns()
    {
        var model = new SparseRetrievalTests.SparseTable(Table());
        var labels = Root.GetProperty("pairs").GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var binary = PairScorer.Binary(model, Texts("pairs", "sentences1"), Texts("pairs", "sentences2"), labels);
        AssertExpected("binary", binary);
        Assert.Equal(18, binary.Count); // the sixteen pair-classification metrics and the two
        var gold = Root.GetProperty("sts").GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var sts = PairScorer.Sts(model, Texts("sts", "sentences1"), Texts("sts", "sentences2"), gold, out _);
        AssertExpected("sts", sts);
        Assert.Equal(6, sts.Count);
    }

    [Fact]
    public void TripletsReportEachColumnAndADenseModelNone()
    {
        var triplets = Texts("triplets", "anchors").Select((a, i) => new Triplet(a, Texts("triplets", "positives")[i], Texts("triplets", "negatives")[i])).ToArray();
        var metrics = TripletScorer.Score(new SparseRetrievalTests.SparseTable(Table()), triplets);
        AssertExpected("triplet", metrics);
        Assert.Equal(8, metrics.Count);
        // the same vectors from a dense model: no sparsity, in triplets or in pairs
        var dense = new TableModel(Table(), SimilarityFunction.Dot);
        var labels = Root.GetProperty("pairs").GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.DoesNotContain(TripletScorer.Score(dense, triplets).Keys.Concat(PairScorer.Binary(dense, Texts("pairs", "sentences1"), Texts("pairs", "sentences2"), labels).Keys),
            SparsityMetrics.IsSparsityKey);
    }

    [Fact]
    public void ARerankingFileReportsTheQueriesAndEveryCandidate()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "rerank.jsonl");
        File.WriteAllLines(path, Root.GetProperty("reranking").EnumerateArray().Select(s => JsonSerializer.Serialize(s))); // one sample a line
        var retriever = new SparseRetriever(new SparseRetrievalTests.SparseTable(Table()));
        var metrics = RetrievalScorer.Score(retriever, RerankingLists.Load(path));
        AssertExpected("reranking", metrics);
        Assert.DoesNotContain(SparsityMetrics.AverageFlops, metrics.Keys); // SparseRerankingEvaluator has none
    }
}
