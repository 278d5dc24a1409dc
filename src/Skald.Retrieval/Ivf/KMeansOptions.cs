namespace Skald.Retrieval.Ivf;

/// <summary>How <see cref="KMeans.Train"/> trains (faiss's <c>ClusteringParameters</c> in spirit).</summary>
public sealed record KMeansOptions
{
    /// <summary>Lloyd iterations at most (fewer when the assignment stops changing).</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>Training points drawn per centroid (the rest of the rows only get assigned; faiss warns below 39).</summary>
    public int PointsPerCentroid { get; init; } = 64;

    /// <summary>
    /// Inner-product clustering with unit centroids (true, an IVF index's coarse quantizer) or Euclidean clustering
    /// (false, a product quantizer's sub-codebooks; set by <see cref="Quantization.ProductQuantizer"/> only).
    /// </summary>
    internal bool Spherical { get; init; } = true;

    /// <summary>Seed of the sample and the starting centroids.</summary>
    public int Seed { get; init; }
}
