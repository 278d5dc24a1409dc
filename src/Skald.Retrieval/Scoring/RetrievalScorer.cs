using Skald.Retrieval.Data;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Scoring;

/// <summary>
/// The one retrieval evaluation, shared by <c>skald evaluate</c> and evaluation during training: every judged query
/// of a <see cref="RetrievalData"/> is searched (exactly, by <see cref="DenseRetriever"/> for embedding models), its
/// hits are ranked in trec_eval order (<see cref="RankingMetrics.Rank"/>: score descending, ties by document id
/// descending) and scored by <see cref="RankingMetrics.Evaluate"/> with MTEB's metric names.
/// </summary>
public static class RetrievalScorer
{
    /// <summary>
    /// Mean metrics over the judged queries of <paramref name="data"/> (<c>ndcg_at_10</c>, <c>mrr_at_10</c>,
    /// <c>hit_rate_at_10</c>, ...) at <paramref name="cutoffs"/> (default: <see cref="RankingMetrics.DefaultCutoffs"/>),
    /// from the top <paramref name="topK"/> hits of each query. <paramref name="language"/> (ISO 639-1, or null) picks
    /// BM25's stemmer.
    /// </summary>
    public static SortedDictionary<string, double> Score(IRetrievalModel retriever, RetrievalData data, int topK = 1000,
        string? language = null, IReadOnlyList<int>? cutoffs = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        var hits = data.Candidates is { } candidates
            ? Rerank(retriever, data, candidates, topK, language)
            : retriever.Search(data.Corpus, [.. data.Queries.Select(q => q.Text)], topK, language);
        var runs = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (int i = 0; i < data.Queries.Count; i++)
        {
            var ranked = RankingMetrics.Rank(hits[i].Select(h => (data.Corpus[h.Index].Id, h.Score)));
            runs[data.Queries[i].Id] = [.. ranked.Select(r => r.DocId)];
        }
        return RankingMetrics.Evaluate(runs, data.Qrels, cutoffs);
    }

    /// <summary>A reranking task: each query's candidates scored by the model, its best <paramref name="topK"/> of them.</summary>
    private static Hit[][] Rerank(IEvaluationModel model, RetrievalData data, IReadOnlyList<int[]> candidates, int topK, string? language)
    {
        var scorer = model as ICandidateScorer
            ?? throw new EvaluationException($"{model.Name} cannot score a reranking task's candidates (top_ranked); evaluate an embedding model or a cross-encoder on it");
        var scores = scorer.ScoreCandidates(data.Corpus, [.. data.Queries.Select(q => q.Text)], candidates, language);
        return [.. candidates.Select((c, qi) => c.Select((d, j) => new Hit(d, scores[qi][j])).OrderByDescending(h => h.Score)
            .ThenByDescending(h => data.Corpus[h.Index].Id, StringComparer.Ordinal).Take(topK).ToArray())]; // trec_eval's tie rule at the cut
    }
}
