using System.Text.Json;
using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Sparse;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="RetrievalScorer.ScoreInformationRetrieval"/> of a sparse encoder is sentence-transformers'
/// SparseInformationRetrievalEvaluator: upstream's fifteen metrics and its sparsity metrics (active dimensions, sparsity
/// ratios, average FLOPs) of the queries it keeps, against fixtures/sparse-ir/make_sparse_ir_reference.py's numpy
/// restatement of upstream.
/// </summary>
public sealed class SparseInformationRetrievalTests
{
    private static readonly JsonElement Root = new ReferenceJson("sparse-ir", "sparse_ir_reference.json").Root;

    private static Dictionary<string, float[]> Vectors(string property) => Root.GetProperty(property).EnumerateObject()
        .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).ToArray());

    private static RetrievalData Data()
    {
        var qrels = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var r in Root.GetProperty("qrels").EnumerateArray())
        {
            string q = r.GetProperty("query-id").GetString()!;
            if (!qrels.TryGetValue(q, out var judged)) qrels[q] = judged = new Dictionary<string, int>(StringComparer.Ordinal);
            judged[r.GetProperty("corpus-id").GetString()!] = r.GetProperty("score").GetInt32();
        }
        return RetrievalData.Create(
            [.. Vectors("documents").Keys.Select(id => new CorpusDocument(id, "", id))],
            [.. Vectors("queries").Keys.Select(id => (id, id))],
            qrels.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, int>)kv.Value, StringComparer.Ordinal));
    }

    private static Dictionary<string, float[]> Table() => Vectors("documents").Concat(Vectors("queries")).ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    public void TheMetricsAndSparsityOfTheKeptQueriesAreUpstreams()
    {
        var retriever = new SparseRetriever(new SparseRetrievalTests.SparseTable(Table()));
        var metrics = RetrievalScorer.ScoreInformationRetrieval(retriever, Data());
        var expected = Root.GetProperty("expected").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), metrics.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in expected) Assert.True(Math.Abs(value - metrics[key]) <= 1e-9, $"{key}: {metrics[key]} != {value}");
        Assert.Equal("5.0", retriever.Metadata["query_active_dims"]); // q5 (no relevant document) was not embedded
    }

    [Fact]
    public void ADenseModelReportsTheMetricsAloneAndNoRelevantDocumentIsOneLine()
    {
        var metrics = RetrievalScorer.ScoreInformationRetrieval(new Search.DenseRetriever(new TableModel(Table(), SimilarityFunction.Dot)), Data());
        Assert.Equal(15, metrics.Count);
        Assert.DoesNotContain(metrics.Keys, k => k.Contains("active", StringComparison.Ordinal) || k == "avg_flops");
        var unjudged = RetrievalData.Create([new CorpusDocument("d0", "", "d0")], [("q5", "q5")],
            new Dictionary<string, IReadOnlyDictionary<string, int>> { ["q5"] = new Dictionary<string, int> { ["d0"] = 0 } });
        var e = Assert.Throws<EvaluationException>(() => RetrievalScorer.ScoreInformationRetrieval(
            new SparseRetriever(new SparseRetrievalTests.SparseTable(Table())), unjudged));
        Assert.Equal("no query has a relevant document (a judgement of grade 1 or more)", e.Message);
    }

    [Fact]
    public void AverageFlopsAllocatesNothingAfterTheFirstSearchAndStartsEachFromZero()
    {
        var retriever = new SparseRetriever(new SparseRetrievalTests.SparseTable(Table()));
        double expected = Root.GetProperty("expected").GetProperty("avg_flops").GetDouble();
        for (int run = 0; run < 2; run++) // the second search counts afresh in the first one's buffers
            Assert.True(Math.Abs(RetrievalScorer.ScoreInformationRetrieval(retriever, Data())["avg_flops"] - expected) <= 1e-9);

        var queries = retriever.Embed([.. Vectors("queries").Keys], TextRole.Query);
        var documents = retriever.Embed([.. Vectors("documents").Keys], TextRole.Document);
        int dimension = Vectors("queries").Values.First().Length;
        double warm = retriever.AverageFlops(queries, documents, dimension);
        long before = GC.GetAllocatedBytesForCurrentThread();
        double again = retriever.AverageFlops(queries, documents, dimension);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(warm, again);
    }
}
