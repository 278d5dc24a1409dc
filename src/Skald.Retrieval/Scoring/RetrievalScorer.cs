using Skald.Retrieval.Data;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;
using Skald.Retrieval.Sparse;

namespace Skald.Retrieval.Scoring;

/// <summary>
/// The one retrieval evaluation, shared by <c>skald evaluate</c> and evaluation during training: every judged query
/// of a <see cref="RetrievalData"/> is searched (exactly, by <see cref="DenseRetriever"/> for embedding models), its
/// hits are ranked in trec_eval order (<see cref="RankingMetrics.Rank"/>: score descending, ties by document id
/// descending) and scored by <see cref="RankingMetrics.Evaluate"/> with MTEB's metric names (<see cref="Score"/>,
/// what <c>skald evaluate</c> prints), or by sentence-transformers' InformationRetrievalEvaluator's formulas and names
/// (<see cref="ScoreInformationRetrieval"/>, what evaluation during training reports). On binary judgements where every
/// query has a relevant document the two agree on nDCG@10, MRR@10 and accuracy (hit rate) at every cut-off.
/// </summary>
public static class RetrievalScorer
{
    /// <summary>
    /// Mean metrics over the judged queries of <paramref name="data"/> (<c>ndcg_at_10</c>, <c>mrr_at_10</c>,
    /// <c>hit_rate_at_10</c>, ...) at <paramref name="cutoffs"/> (default: <see cref="RankingMetrics.DefaultCutoffs"/>),
    /// from the top <paramref name="topK"/> hits of each query. <paramref name="language"/> (ISO 639-1, or null) picks
    /// BM25's stemmer. A reranking task (<see cref="RetrievalData.Candidates"/>) scored by a sparse encoder adds
    /// SparseRerankingEvaluator's <c>query_active_dims</c>, <c>query_sparsity_ratio</c>, <c>corpus_active_dims</c> and
    /// <c>corpus_sparsity_ratio</c> (<see cref="SparseRetriever.Sparsity"/>; upstream's reranking has no <c>avg_flops</c>).
    /// </summary>
    /// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseRerankingEvaluator.py</remarks>
    public static SortedDictionary<string, double> Score(IRetrievalModel retriever, RetrievalData data, int topK = 1000,
        string? language = null, IReadOnlyList<int>? cutoffs = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var all = Enumerable.Range(0, data.Queries.Count).ToArray();
        var ranked = Rankings(retriever, data, all, topK, language);
        var runs = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (int i = 0; i < all.Length; i++) runs[data.Queries[i].Id] = ranked[i];
        var metrics = RankingMetrics.Evaluate(runs, data.Qrels, cutoffs);
        if (data.Candidates is not null && retriever is SparseRetriever { Sparsity: { } sparsity })
            foreach (var (key, value) in sparsity) if (key != SparsityMetrics.AverageFlops) metrics[key] = value;
        return metrics;
    }

    /// <summary>
    /// sentence-transformers' InformationRetrievalEvaluator over <paramref name="data"/>: the top
    /// <see cref="InformationRetrievalMetrics.MaxK"/> hits of each query, ranked as <see cref="Score"/> ranks them, scored
    /// by <see cref="InformationRetrievalMetrics"/> (<c>accuracy@1</c> ... <c>map@100</c>: binary relevance, a document
    /// relevant when its grade is at least 1, as trec_eval counts relevance, with gain 1 whatever its grade). Only
    /// queries with a relevant document are searched and averaged over, as upstream keeps only those; none with one is
    /// an <see cref="EvaluationException"/>. A sparse encoder's search adds SparseInformationRetrievalEvaluator's
    /// <c>query_active_dims</c>, <c>query_sparsity_ratio</c>, <c>corpus_active_dims</c>, <c>corpus_sparsity_ratio</c>
    /// and <c>avg_flops</c> (<see cref="SparseRetriever.Sparsity"/>).
    /// </summary>
    /// <remarks>
    /// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/InformationRetrievalEvaluator.py,
    /// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseInformationRetrievalEvaluator.py
    /// </remarks>
    public static SortedDictionary<string, double> ScoreInformationRetrieval(IRetrievalModel retriever, RetrievalData data, string? language = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var kept = new List<int>();
        var relevant = new List<IReadOnlySet<string>>();
        for (int i = 0; i < data.Queries.Count; i++)
        {
            if (!data.Qrels.TryGetValue(data.Queries[i].Id, out var judged)) continue;
            var set = judged.Where(kv => kv.Value >= 1).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
            if (set.Count == 0) continue;
            kept.Add(i);
            relevant.Add(set);
        }
        if (kept.Count == 0) throw new EvaluationException("no query has a relevant document (a judgement of grade 1 or more)");
        var metrics = InformationRetrievalMetrics.Compute(Rankings(retriever, data, [.. kept], InformationRetrievalMetrics.MaxK, language), relevant);
        if (retriever is SparseRetriever { Sparsity: { } sparsity })
            foreach (var (key, value) in sparsity) metrics[key] = value;
        return metrics;
    }

    /// <summary>
    /// The top <paramref name="topK"/> document ids (a reranking task's best candidates) of each query of
    /// <paramref name="data"/> numbered in <paramref name="queries"/>, in trec_eval order (<see cref="RankingMetrics.Rank"/>).
    /// </summary>
    private static IReadOnlyList<string>[] Rankings(IRetrievalModel retriever, RetrievalData data, int[] queries, int topK, string? language)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        var texts = queries.Select(i => data.Queries[i].Text).ToList();
        var hits = data.Candidates is { } candidates
            ? Rerank(retriever, data, texts, [.. queries.Select(i => candidates[i])], topK, language)
            : retriever.Search(data.Corpus, texts, topK, language);
        var ranked = new IReadOnlyList<string>[queries.Length];
        for (int i = 0; i < queries.Length; i++)
            ranked[i] = [.. RankingMetrics.Rank(hits[i].Select(h => (data.Corpus[h.Index].Id, h.Score))).Select(r => r.DocId)];
        return ranked;
    }

    /// <summary>A reranking task: each query's candidates scored by the model, its best <paramref name="topK"/> of them.</summary>
    private static Hit[][] Rerank(IEvaluationModel model, RetrievalData data, IReadOnlyList<string> queries, IReadOnlyList<int[]> candidates, int topK, string? language)
    {
        var scorer = model as ICandidateScorer
            ?? throw new EvaluationException($"{model.Name} cannot score a reranking task's candidates (top_ranked); evaluate an embedding model or a cross-encoder on it");
        var scores = scorer.ScoreCandidates(data.Corpus, queries, candidates, language);
        return [.. candidates.Select((c, qi) => c.Select((d, j) => new Hit(d, scores[qi][j])).OrderByDescending(h => h.Score)
            .ThenByDescending(h => data.Corpus[h.Index].Id, StringComparer.Ordinal).Take(topK).ToArray())]; // trec_eval's tie rule at the cut
    }
}
