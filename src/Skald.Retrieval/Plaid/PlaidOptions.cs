using Skald.Retrieval.Ivf;

namespace Skald.Retrieval.Plaid;

/// <summary>How a PLAID index codes its token vectors (<c>index build --plaid</c>; <see cref="ResidualCodec.Train"/>).</summary>
public sealed record PlaidOptions
{
    /// <summary>Bits per residual value: 1, 2 (the PLAID paper's and ColBERT's examples'; ColBERTConfig's own default is 1) or 4.</summary>
    public int Bits { get; init; } = 2;

    /// <summary>Centroids (0: ColBERTv2's 2^⌊log₂(16 · √tokens)⌋, <see cref="ResidualCodec.CentroidsFor"/>).</summary>
    public int Centroids { get; init; }

    /// <summary>
    /// k-means settings for the centroids (the IVF index's spherical k-means): 4 iterations, ColBERTv2's
    /// <c>kmeans_niters</c>, on 64 sampled vectors a centroid (faiss, under ColBERT, draws up to 256).
    /// </summary>
    public KMeansOptions Training { get; init; } = new() { Iterations = 4 };
}
