namespace Skald.Retrieval.Index;

/// <summary>One search result: its row, score (cosine/dot, BM25, or the fused score) and record.</summary>
public sealed record IndexHit(int Row, float Score, IndexRecord Record)
{
    /// <summary>A hybrid search's fused score shown in [0, 1], in the ranking's order (<see cref="Search.Fusion.Scaled"/>);
    /// null for dense, BM25 and re-ranked hits, whose scores are the model's or BM25's own.</summary>
    public float? ScaledScore { get; init; }
}
