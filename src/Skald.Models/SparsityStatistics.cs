namespace Skald.Models;

/// <summary>
/// How sparse a set of sparse embeddings is (<see cref="SparseEmbedding.Sparsity(IReadOnlyList{SparseEmbedding}, int)"/>; sentence-transformers'
/// <c>SparseEncoder.sparsity</c>).
/// </summary>
/// <param name="ActiveDims">The mean number of non-zero entries an embedding holds (<c>active_dims</c>).</param>
/// <param name="SparsityRatio">1 − <paramref name="ActiveDims"/> / the dimension: the mean share of zeros (<c>sparsity_ratio</c>).</param>
public readonly record struct SparsityStatistics(double ActiveDims, double SparsityRatio);
