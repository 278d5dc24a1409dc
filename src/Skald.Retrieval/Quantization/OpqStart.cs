namespace Skald.Retrieval.Quantization;

/// <summary>
/// Where <see cref="OpqRotation.Train"/> starts instead of its random draws (so that a reference implementation fed the
/// same start can be compared with it): the starting matrix A₀ [D' × D] row-major, and for each subspace the sample
/// rows whose sub-vectors are the first round's starting centroids.
/// </summary>
internal sealed record OpqStart(float[] Rotation, int[][] FirstCentroids);
