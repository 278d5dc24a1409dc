namespace Skald.Retrieval.Quantization;

/// <summary>
/// Per-dimension calibration ranges of the int8 / uint8 precisions: each dimension's [min, max] over a set of
/// calibration embeddings (sentence-transformers' <c>ranges</c>, shape [2, dim]: the minima, then the maxima), cut
/// into 255 equal steps. Immutable.
/// </summary>
public sealed class QuantizationRanges
{
    private readonly float[] minima;
    private readonly float[] maxima;
    private readonly float[] steps;

    /// <summary>Ranges from explicit minima and maxima (same length, min ≤ max, finite).</summary>
    public QuantizationRanges(IReadOnlyList<float> minima, IReadOnlyList<float> maxima)
    {
        if (minima.Count != maxima.Count)
            throw new ArgumentException($"ranges have {minima.Count} minima and {maxima.Count} maxima");
        if (minima.Count == 0) throw new ArgumentException("ranges have no dimensions");
        this.minima = [.. minima];
        this.maxima = [.. maxima];
        for (int d = 0; d < this.minima.Length; d++)
        {
            if (!float.IsFinite(this.minima[d]) || !float.IsFinite(this.maxima[d]))
                throw new ArgumentException($"ranges: dimension {d} is not finite");
            if (this.minima[d] > this.maxima[d])
                throw new ArgumentException($"ranges: dimension {d} has min {this.minima[d]} above max {this.maxima[d]}");
        }
        steps = new float[this.minima.Length];
        for (int d = 0; d < steps.Length; d++) steps[d] = (this.maxima[d] - this.minima[d]) / 255f;
    }

    /// <summary>Dimensions covered.</summary>
    public int Dimension => minima.Length;

    /// <summary>Each dimension's minimum (the start of its first step).</summary>
    public IReadOnlyList<float> Minima => minima;

    /// <summary>Each dimension's maximum.</summary>
    public IReadOnlyList<float> Maxima => maxima;

    /// <summary>The minima and maxima of <paramref name="calibration"/>, dimension by dimension (at least one row).</summary>
    public static QuantizationRanges FromEmbeddings(IReadOnlyList<float[]> calibration)
    {
        if (calibration.Count == 0) throw new ArgumentException("no calibration embeddings");
        int dim = calibration[0].Length;
        var lo = new float[dim];
        var hi = new float[dim];
        Array.Fill(lo, float.PositiveInfinity);
        Array.Fill(hi, float.NegativeInfinity);
        for (int r = 0; r < calibration.Count; r++)
        {
            var row = calibration[r];
            if (row.Length != dim) throw new ArgumentException($"calibration row {r} has {row.Length} values, expected {dim}");
            System.Numerics.Tensors.TensorPrimitives.Min(lo, row, lo);
            System.Numerics.Tensors.TensorPrimitives.Max(hi, row, hi);
        }
        return new QuantizationRanges(lo, hi);
    }

    /// <summary>The minima and maxima of a row-major matrix of <paramref name="dimension"/>-wide rows (at least one row).</summary>
    public static QuantizationRanges FromRows(ReadOnlySpan<float> matrix, int dimension)
    {
        if (matrix.Length < dimension || matrix.Length % dimension != 0)
            throw new ArgumentException($"{matrix.Length} values are not one or more rows of {dimension}");
        var lo = matrix[..dimension].ToArray();
        var hi = matrix[..dimension].ToArray();
        for (int start = dimension; start < matrix.Length; start += dimension)
        {
            System.Numerics.Tensors.TensorPrimitives.Min(lo, matrix.Slice(start, dimension), lo);
            System.Numerics.Tensors.TensorPrimitives.Max(hi, matrix.Slice(start, dimension), hi);
        }
        return new QuantizationRanges(lo, hi);
    }

    /// <summary>Each dimension's start (its minimum), for the quantizer's loop.</summary>
    internal ReadOnlySpan<float> Starts => minima;

    /// <summary>The width of each dimension's 255 steps, (max − min) / 255 in float32 as numpy computes it.</summary>
    internal ReadOnlySpan<float> Steps => steps;
}
