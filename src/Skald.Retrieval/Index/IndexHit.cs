namespace Skald.Retrieval.Index;

/// <summary>One search result: its row, score (cosine/dot, BM25, or the fused score) and record.</summary>
public sealed record IndexHit(int Row, float Score, IndexRecord Record);
