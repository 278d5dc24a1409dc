namespace Skald.Retrieval.Index;

/// <summary>
/// A search's least score (<c>skald search --min-score</c>, <c>/v1/search</c>'s <c>min_score</c>): an absolute cut on the
/// score of a dense search (the similarity the index holds rows by: cosine or dot; a late-interaction index's MaxSim, a
/// BGE-M3 index's weighted sum) or of a BM25 search, applied to the search's hits before a cross-encoder reranks them.
/// A hybrid search has no such score: its hits are fused from their ranks among this query's candidates (RRF) or from
/// the spread of their scores (convex), so the same number cuts differently for every query; it is refused there.
/// </summary>
public static class ScoreThreshold
{
    /// <summary>Why a least score does not apply to a search of <paramref name="mode"/> (to follow the option's name); null when it does.</summary>
    public static string? Refusal(SearchMode mode) => mode != SearchMode.Hybrid ? null
        : "is a least dense or BM25 score (mode dense or bm25); a hybrid hit's score is fused from its rank or its spread among this query's " +
          "candidates, relative to the query, so no number cuts it alike for every query";

    /// <summary>The hits scoring at least <paramref name="least"/> (all when null), in their order.</summary>
    public static IReadOnlyList<IndexHit> Apply(IReadOnlyList<IndexHit> hits, double? least) =>
        least is not double cut ? hits : [.. hits.Where(h => h.Score >= cut)];
}
