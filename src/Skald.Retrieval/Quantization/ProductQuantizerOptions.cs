namespace Skald.Retrieval.Quantization;

/// <summary>
/// How <see cref="ProductQuantizer.Train"/> trains (faiss's <c>ProductQuantizer(d, M, nbits)</c> with its default
/// <c>ClusteringParameters</c>: 25 iterations, at most 256 training points per centroid).
/// </summary>
public sealed record ProductQuantizerOptions
{
    /// <summary>Sub-vectors a row is cut into (faiss's M; must divide the dimension): one code per sub-vector, a byte each (two to a byte for at most 16 centroids).</summary>
    public int Subspaces { get; init; }

    /// <summary>
    /// Bits per code (1–8): 2^bits centroids per sub-vector, fewer when there are fewer training rows; at most 16
    /// centroids (4 bits or fewer) are stored two to a byte and searched by the fast scan (<see cref="PqSearch"/>).
    /// </summary>
    public int Bits { get; init; } = 8;

    /// <summary>Lloyd iterations per sub-codebook at most.</summary>
    public int Iterations { get; init; } = 25;

    /// <summary>Training rows drawn per centroid (the same rows for every sub-vector).</summary>
    public int PointsPerCentroid { get; init; } = 256;

    /// <summary>
    /// Rounds of OPQ (<see cref="OpqRotation"/>: a rotation of the rows trained with the codebooks so that quantizing
    /// loses less; faiss's <c>OPQMatrix</c>, whose default is 50 rounds): 0 (default) trains no rotation.
    /// </summary>
    public int RotationRounds { get; init; }

    /// <summary>
    /// With <see cref="RotationRounds"/>: the width D' of the rows OPQ's matrix makes, which the codebooks quantize (faiss's
    /// <c>OPQ{M}_{D'}</c>; <see cref="Subspaces"/> must divide it): fewer than the rows' D projects them onto D' trained
    /// orthonormal directions, more spreads them over D' values; 0 (default): D, a rotation.
    /// </summary>
    public int RotationDimension { get; init; }

    /// <summary>The width the codebooks quantize for <paramref name="dimension"/>-d rows: <see cref="RotationDimension"/> when OPQ sets one, else the rows'.</summary>
    public int CodeDimension(int dimension) => RotationRounds > 0 && RotationDimension > 0 ? RotationDimension : dimension;

    /// <summary>A fixed start for OPQ's training in place of its random draws (tests against a reference); null: drawn from <see cref="Seed"/>.</summary>
    internal OpqStart? Start { get; init; }

    /// <summary>The rounds <c>--opq</c> trains (fewer than faiss's 50: each round trains codebooks and a decomposition).</summary>
    public const int DefaultRotationRounds = 20;

    /// <summary>
    /// The widest rows OPQ turns: each round decomposes a D × D matrix (Math.NET, one core: 0.5 s at 384, 3 s at 768,
    /// 8 s at 1,024 measured; 1,536 by the cube law about 25 s), so wider rows would train for an hour or more (and the sample, held twice, grows with D too).
    /// </summary>
    public const int MaxRotationDimension = 1536;

    /// <summary>Seed of the sample and the starting centroids.</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming what does not fit <paramref name="dimension"/>-d rows.</summary>
    public void Check(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(RotationDimension);
        if (RotationDimension > 0 && RotationRounds == 0) throw new ArgumentException("an OPQ output width (RotationDimension) needs OPQ rounds (RotationRounds)");
        int width = CodeDimension(dimension);
        if (Subspaces < 1 || width % Subspaces != 0)
            throw new ArgumentException(width == dimension
                ? $"{dimension} dimensions do not split into {Subspaces} sub-vectors (PQ needs a divisor of the dimension, e.g. {Divisors(dimension)})"
                : $"OPQ's {width} output dimensions do not split into {Subspaces} sub-vectors (PQ needs a divisor of them, e.g. {Divisors(width)})");
        if (Bits is < 1 or > 8) throw new ArgumentException($"PQ codes of {Bits} bits: 1 to 8 are supported");
        ArgumentOutOfRangeException.ThrowIfLessThan(Iterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(PointsPerCentroid, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(RotationRounds);
        if (RotationRounds > 0 && Math.Max(dimension, width) > MaxRotationDimension)
            throw new ArgumentException($"OPQ turns {dimension}-d rows by a {width} × {dimension} matrix decomposed every round, too slow above " +
                $"{MaxRotationDimension} dimensions; use --pq without --opq, or fewer dimensions (--truncate-dim)");
    }

    private static string Divisors(int dimension) =>
        string.Join(", ", Enumerable.Range(1, dimension).Where(m => dimension % m == 0 && dimension / m <= 16 && dimension / m >= 2).Reverse().Take(4));
}
