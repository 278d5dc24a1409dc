namespace Skald.Models.Modules;

/// <summary>Similarity functions of sentence-transformers (<c>similarity_fn_name</c>).</summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/similarity_functions.py</remarks>
public enum SimilarityFunction
{
    /// <summary>Cosine similarity.</summary>
    Cosine,
    /// <summary>Dot product.</summary>
    Dot,
    /// <summary>Negative Euclidean distance (higher = more similar, as sentence-transformers defines it).</summary>
    Euclidean,
    /// <summary>Negative Manhattan distance.</summary>
    Manhattan,
}
