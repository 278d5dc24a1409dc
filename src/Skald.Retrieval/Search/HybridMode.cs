namespace Skald.Retrieval.Search;

/// <summary>How a <see cref="HybridRetriever"/> combines its two systems.</summary>
public enum HybridMode
{
    /// <summary>The sparse system's top candidates re-scored by the dense model (dense score only).</summary>
    Rerank,
    /// <summary>Reciprocal-rank fusion of both top lists: Σ 1/(rrfK + rank).</summary>
    ReciprocalRankFusion,
}
