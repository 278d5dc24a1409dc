namespace Skald.Retrieval.Search;

/// <summary>How a <see cref="HybridRetriever"/> (or an index search) combines BM25 and dense retrieval.</summary>
public enum HybridMode
{
    /// <summary>The sparse system's top candidates re-scored by the dense model (dense score only).</summary>
    Rerank,
    /// <summary>Reciprocal-rank fusion over the union of both top lists: Σ 1/(k + rank) (<see cref="Fusion.ReciprocalRank"/>).</summary>
    ReciprocalRankFusion,
    /// <summary>Convex combination α·dense + (1 − α)·sparse of normalised scores (<see cref="Fusion.Convex"/>).</summary>
    Convex,
}
