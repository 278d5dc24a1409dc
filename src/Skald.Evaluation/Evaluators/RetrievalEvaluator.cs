using Skald.Evaluation.Data;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// Retrieval over a BEIR folder, main metric nDCG@10; reranking of a BEIR folder's top_ranked candidates or of a
/// file of rows that list them (<see cref="RerankingLists"/>), main metric MAP. Embedding models search exactly (<see cref="DenseRetriever"/>);
/// retrieval systems (BM25, hybrids) rank themselves. Each query's hits are ranked in trec_eval order and scored by
/// <see cref="RankingMetrics"/> over the judged queries — all of it by <see cref="RetrievalScorer"/>, the code that
/// evaluation during training runs too.
/// </summary>
/// <remarks>Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/RetrievalEvaluator.py</remarks>
public sealed class RetrievalEvaluator(TaskDefinition task, RetrievalOptions? options = null) : TaskEvaluator(task)
{
    private readonly RetrievalOptions options = options ?? new RetrievalOptions();

    /// <inheritdoc/>
    /// <remarks>A reranking task's is MTEB v2's for most reranking tasks, map_at_1000 (MAP over all candidates).</remarks>
    public override string MainMetric => Task.Kind == TaskKind.Reranking ? "map_at_1000" : "ndcg_at_10";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        string? scored = File.Exists(Task.Path) ? null : ScoredSplit(Task.Path, options.Split);
        var data = File.Exists(Task.Path) ? RerankingLists.Load(Task.Path, Task.Limit) : RetrievalData.Load(Task.Path, options.Split, Task.Limit);
        if (scored is not null) metadata["split"] = scored;
        if ((data.Candidates is not null) != (Task.Kind == TaskKind.Reranking))
            throw new EvaluationException(data.Candidates is null
                ? $"{Task.Path}: a reranking task needs each query's candidates (top_ranked/{options.Split}.jsonl or top_ranked.jsonl)"
                : $"{Task.Path}: has candidates (top_ranked), so it is a reranking task; evaluate it as one (--type reranking)");
        IRetrievalModel retriever = model as IRetrievalModel
            ?? EmbeddingRetriever.For(RequireEmbeddings(model), options.LongDocuments, options.Quantization, options.Ivf, options.Hnsw);
        var metrics = RetrievalScorer.Score(retriever, data, options.TopK, Task.Language);
        metadata["documents"] = Str(data.Corpus.Count);
        metadata["queries"] = Str(data.Queries.Count);
        if (data.Candidates is { } c) metadata["candidates"] = Str(c.Sum(x => x.Length));
        metadata["queries_without_relevant"] = Str(data.Qrels.Values.Count(j => !j.Values.Any(g => g >= 1)));
        if (data.UnjudgedQueries > 0) metadata["queries_without_qrels_skipped"] = Str(data.UnjudgedQueries);
        foreach (var (k, v) in retriever.Metadata) metadata.TryAdd("model." + k, v);
        return metrics;
    }

    /// <summary>
    /// The split whose judgements a folder is scored on: <paramref name="split"/>, or the folder's only qrels file when
    /// the default split is missing (a task published with dev judgements alone), recorded in the results. A folder
    /// whose only judgements are <c>train</c> is refused instead: those are the training queries (what
    /// <c>skald data generate</c> writes without <c>--test-fraction</c>, all of them in pairs.jsonl), and a model tuned
    /// on them scored as if on held-out ones; <c>--split train</c> scores them when that is the point.
    /// </summary>
    private static string? ScoredSplit(string folder, string split)
    {
        string dir = Path.Combine(folder, "qrels");
        bool Has(string name) => File.Exists(Path.Combine(dir, name + ".tsv")) || File.Exists(Path.Combine(dir, name + ".parquet"));
        if (!Directory.Exists(dir) || Has(split)) return split;
        var all = Directory.GetFiles(dir, "*.tsv").Concat(Directory.GetFiles(dir, "*.parquet")).ToArray();
        if (all.Length != 1 || split != RetrievalData.DefaultSplit) return split; // RetrievalData names what is missing
        string only = Path.GetFileNameWithoutExtension(all[0]);
        if (only.Equals("train", StringComparison.OrdinalIgnoreCase))
            throw new EvaluationException($"{folder}: no qrels/{split}.tsv; its only judgements, {Path.GetRelativePath(folder, all[0])}, are of the " +
                "training queries: score held-out ones (skald data generate --test-fraction writes qrels/test.tsv), or pass --split train to score these");
        return only;
    }
}
