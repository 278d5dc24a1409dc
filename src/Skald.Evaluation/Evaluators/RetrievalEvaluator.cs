using Skald.Evaluation.Data;
using Skald.Evaluation.Metrics;
using Skald.Evaluation.Models;
using Skald.Evaluation.Search;

namespace Skald.Evaluation.Evaluators;

/// <summary>Retrieval settings.</summary>
public sealed record RetrievalOptions
{
    /// <summary>qrels split file name (qrels/SPLIT.tsv).</summary>
    public string Split { get; init; } = "test";

    /// <summary>Documents retrieved per query (MTEB: 1000 = the largest cut-off).</summary>
    public int TopK { get; init; } = 1000;

    /// <summary>Truncate (MTEB) or chunk long documents for embedding models.</summary>
    public LongDocuments LongDocuments { get; init; } = LongDocuments.Truncate;
}

/// <summary>
/// Retrieval over a BEIR folder, main metric nDCG@10. Embedding models search exactly (<see cref="DenseRetriever"/>);
/// retrieval systems (BM25, hybrids) rank themselves. Each query's hits are ranked in trec_eval order and scored by
/// <see cref="RankingMetrics"/> over the judged queries.
/// </summary>
public sealed class RetrievalEvaluator(TaskDefinition task, RetrievalOptions? options = null) : TaskEvaluator(task)
{
    private readonly RetrievalOptions options = options ?? new RetrievalOptions();

    /// <inheritdoc/>
    public override string MainMetric => "ndcg_at_10";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var data = RetrievalData.Load(Task.Path, options.Split, Task.Limit);
        IRetrievalModel retriever = model as IRetrievalModel
            ?? new DenseRetriever(RequireEmbeddings(model), options.LongDocuments);
        var hits = retriever.Search(data.Corpus, [.. data.Queries.Select(q => q.Text)], options.TopK, Task.Language);
        var runs = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (int i = 0; i < data.Queries.Count; i++)
        {
            var ranked = RankingMetrics.Rank(hits[i].Select(h => (data.Corpus[h.Index].Id, h.Score)));
            runs[data.Queries[i].Id] = [.. ranked.Select(r => r.DocId)];
        }
        metadata["documents"] = Str(data.Corpus.Count);
        metadata["queries"] = Str(data.Queries.Count);
        metadata["queries_without_relevant"] = Str(data.Qrels.Values.Count(j => !j.Values.Any(g => g >= 1)));
        if (data.UnjudgedQueries > 0) metadata["queries_without_qrels_skipped"] = Str(data.UnjudgedQueries);
        foreach (var (k, v) in retriever.Metadata) metadata.TryAdd("model." + k, v);
        return RankingMetrics.Evaluate(runs, data.Qrels);
    }
}
