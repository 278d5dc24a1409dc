namespace Skald.Retrieval.Index;

/// <summary>Which side of an index a search uses.</summary>
public enum SearchMode
{
    /// <summary>Exact inner-product search over the embeddings.</summary>
    Dense,
    /// <summary>BM25 over the saved inverted index.</summary>
    Bm25,
    /// <summary>Both, fused (<see cref="Search.FusionOptions"/>).</summary>
    Hybrid,
}
