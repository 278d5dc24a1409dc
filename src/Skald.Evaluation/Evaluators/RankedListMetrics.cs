using Skald.Retrieval.Metrics;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// One query's MAP, MRR@k and nDCG@k as sentence-transformers' ranking evaluators compute them per list
/// (ReciprocalRankFusionEvaluator's lists, CrossEncoderRerankingEvaluator's reranked and <c>base_*</c> lists): binary
/// relevance, MAP over the whole list, MRR and nDCG (log2 discount) at k, through <see cref="RankingMetrics.Compute"/>.
/// </summary>
internal static class RankedListMetrics
{
    /// <summary>
    /// The metrics of <paramref name="ranked"/> (document keys, best first), the keys in <paramref name="relevant"/>
    /// relevant; every relevant key is expected in the list.
    /// </summary>
    public static (double Map, double Mrr, double Ndcg) Of(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> relevant, int atK)
    {
        var cut = RankingMetrics.Compute(ranked, relevant, atK);
        return (RankingMetrics.Compute(ranked, relevant, Math.Max(1, ranked.Count)).Map, cut.Mrr, cut.Ndcg);
    }

    /// <summary>
    /// A first stage's list as upstream scores it: 0 on all three when <paramref name="documents"/> holds none of
    /// <paramref name="positive"/>; otherwise the positives it lacks are counted right after its last document (upstream
    /// appends them to the relevance list, so recall is never short) and the list is scored in its own order.
    /// </summary>
    public static (double Map, double Mrr, double Ndcg) FirstStage(IReadOnlyList<string> documents, IReadOnlyList<string> positive, int atK)
    {
        var relevant = positive.Distinct(StringComparer.Ordinal).ToDictionary(p => p, _ => 1, StringComparer.Ordinal);
        if (!documents.Any(relevant.ContainsKey)) return (0, 0, 0);
        var ranked = documents.Concat(relevant.Keys.Where(p => !documents.Contains(p, StringComparer.Ordinal))).ToList();
        return Of(ranked, relevant, atK);
    }
}
