namespace Skald.Tensors.Quantization;

/// <summary>
/// A [N, K] weight (PyTorch's Linear [out, in]) quantised per output row, symmetric: w[j, k] ≈ Scales[j] · q[j, k] with
/// q in [−L, L] and Scales[j] = max_k |w[j, k]| / L, L the weight levels of the kernel that will multiply it
/// (<see cref="Int8Gemm.WeightLevels"/>: 127 for VNNI, 63 for AVX2, whose tile may then add two vpmaddubsw results in
/// int16 before widening; <see cref="MaxMagnitude"/> tells the GEMM what the values allow). Held in the int8 GEMM's panel layout
/// (<see cref="Int8Gemm"/>): panels of <see cref="PanelWidth"/> rows of W (output columns of y), each panel a run of
/// K/4 groups, a group holding 4 consecutive k of the 16 rows (rows 0–7 in its first 32 bytes, 8–15 in the next 32),
/// so one 256-bit load feeds one vpdpbusd / vpmaddubsw. K is padded to a multiple of 16 (<see cref="KStep"/>: four
/// groups, what the AVX2 tile may add in int16, so no tile has a tail) and N to a multiple of 16 with zeros (scale 0). <see cref="RowSums"/>[j] = Σ_k q[j, k] corrects for the activations' zero point.
/// </summary>
public sealed class Int8Matrix
{
    /// <summary>Output rows per panel (two 256-bit vectors of 8 int32 lanes).</summary>
    public const int PanelWidth = 16;

    /// <summary>Consecutive k values in one 32-bit group (what vpdpbusd sums per lane).</summary>
    public const int GroupDepth = 4;

    /// <summary>K is padded to a multiple of this (four groups).</summary>
    public const int KStep = 4 * GroupDepth;

    private Int8Matrix(int n, int k)
    {
        N = n;
        K = k;
        PaddedK = (k + KStep - 1) / KStep * KStep;
        PaddedN = (n + PanelWidth - 1) / PanelWidth * PanelWidth;
        Packed = GC.AllocateArray<sbyte>(PaddedN * PaddedK, pinned: true);
        Scales = new float[PaddedN];
        RowSums = new int[PaddedN];
    }

    /// <summary>Output features (rows of W).</summary>
    public int N { get; }

    /// <summary>Input features (columns of W).</summary>
    public int K { get; }

    /// <summary>K rounded up to a multiple of <see cref="KStep"/>.</summary>
    public int PaddedK { get; }

    /// <summary>N rounded up to a multiple of <see cref="PanelWidth"/>.</summary>
    public int PaddedN { get; }

    /// <summary>The int8 values in panel layout, [PaddedN / 16][PaddedK / 4][16 · 4] (pinned).</summary>
    internal sbyte[] Packed { get; }

    /// <summary>Per-row scale [PaddedN] (0 for padding rows).</summary>
    public float[] Scales { get; }

    /// <summary>Per-row sum of the int8 values [PaddedN].</summary>
    internal int[] RowSums { get; }

    /// <summary>
    /// The largest |q| of the values (at most 128): the GEMM's AVX2 tile sums more products in int16 when it is small
    /// (a saved folder with 8-bit values still runs, through the one-group tile).
    /// </summary>
    public int MaxMagnitude { get; private set; }

    /// <summary>Bytes held (int8 values, scales and row sums).</summary>
    public long Bytes => Packed.Length + 8L * PaddedN;

    /// <summary>Index of q[j, k] in <see cref="Packed"/>.</summary>
    internal int IndexOf(int j, int k) =>
        (j / PanelWidth) * PaddedK * PanelWidth + (k / GroupDepth) * PanelWidth * GroupDepth
        + (j % PanelWidth) * GroupDepth + k % GroupDepth;

    /// <summary>
    /// Quantises a row-major [n, k] float32 weight for the fastest kernel here (<see cref="Int8Gemm.Best"/>; its
    /// <see cref="Int8Gemm.WeightLevels"/>).
    /// </summary>
    public static Int8Matrix Quantize(ReadOnlySpan<float> weight, int n, int k) =>
        Quantize(weight, n, k, Int8Gemm.WeightLevels(Int8Gemm.Best ?? Int8Kernel.Avx2));

    /// <summary>
    /// Quantises a row-major [n, k] float32 weight: q = round(w / s) (to even), s = max|w| / <paramref name="levels"/>
    /// per row, <paramref name="levels"/> in 1..127.
    /// </summary>
    public static Int8Matrix Quantize(ReadOnlySpan<float> weight, int n, int k, int levels)
    {
        if (levels is < 1 or > 127) throw new ArgumentOutOfRangeException(nameof(levels), levels, "weight levels are 1..127");
        if (n <= 0 || k <= 0 || weight.Length < (long)n * k)
            throw new ArgumentException($"a [{n}, {k}] weight needs {(long)n * k} values, got {weight.Length}", nameof(weight));
        var m = new Int8Matrix(n, k);
        var row = new sbyte[k];
        for (int j = 0; j < n; j++)
        {
            var w = weight.Slice(j * k, k);
            float amax = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(w);
            amax = MathF.Abs(amax);
            float s = amax / levels;
            for (int c = 0; c < k; c++)
                row[c] = s == 0f || !float.IsFinite(s) ? (sbyte)0 : (sbyte)Math.Clamp(MathF.Round(w[c] / s), -levels, levels);
            m.SetRow(j, row, float.IsFinite(s) ? s : 0f);
        }
        return m;
    }

    /// <summary>
    /// A matrix from int8 values already quantised (row-major [n, k]) and their per-row scales (as read from a saved
    /// quantised model: no rounding happens).
    /// </summary>
    public static Int8Matrix FromQuantized(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, int n, int k)
    {
        if (n <= 0 || k <= 0 || values.Length != (long)n * k || scales.Length != n)
            throw new ArgumentException($"a [{n}, {k}] int8 weight needs {(long)n * k} values and {n} scales, got {values.Length} and {scales.Length}");
        var m = new Int8Matrix(n, k);
        for (int j = 0; j < n; j++) m.SetRow(j, values.Slice(j * k, k), scales[j]);
        return m;
    }

    /// <summary>Row-stacked matrices (all of the same K) as one: part i's rows follow part i−1's, values unchanged.</summary>
    public static Int8Matrix Concat(IReadOnlyList<Int8Matrix> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("nothing to stack", nameof(parts));
        int k = parts[0].K, n = 0;
        foreach (var p in parts)
        {
            if (p.K != k) throw new ArgumentException($"parts take {k} and {p.K} inputs", nameof(parts));
            n += p.N;
        }
        var m = new Int8Matrix(n, k);
        var row = new sbyte[k];
        int at = 0;
        foreach (var p in parts)
        {
            for (int j = 0; j < p.N; j++)
            {
                p.CopyRow(j, row);
                m.SetRow(at++, row, p.Scales[j]);
            }
        }
        return m;
    }

    /// <summary>The int8 values of row <paramref name="j"/> into <paramref name="destination"/> (K values).</summary>
    public void CopyRow(int j, Span<sbyte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(j);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(j, N);
        for (int c = 0; c < K; c++) destination[c] = Packed[IndexOf(j, c)];
    }

    /// <summary>The dequantised weight Scales[j] · q[j, k], row-major [N, K].</summary>
    public float[] Dequantize()
    {
        var w = new float[(long)N * K];
        DequantizeRows(0, N, w);
        return w;
    }

    /// <summary>
    /// Rows [<paramref name="first"/>, first + <paramref name="count"/>) dequantised (Scales[j] · q[j, k]) into
    /// <paramref name="destination"/>, row-major [count, K]: the float32 weights a training pass through an int8 base
    /// multiplies by.
    /// </summary>
    public void DequantizeRows(int first, int count, Span<float> destination)
    {
        if (first < 0 || count < 0 || first + count > N) throw new ArgumentOutOfRangeException(nameof(first));
        if (destination.Length < (long)count * K) throw new ArgumentException("destination is shorter than the rows", nameof(destination));
        for (int j = 0; j < count; j++)
        {
            var row = destination.Slice(j * K, K);
            float scale = Scales[first + j];
            for (int c = 0; c < K; c++) row[c] = scale * Packed[IndexOf(first + j, c)];
        }
    }

    private void SetRow(int j, ReadOnlySpan<sbyte> q, float scale)
    {
        int sum = 0, max = MaxMagnitude;
        for (int c = 0; c < K; c++)
        {
            Packed[IndexOf(j, c)] = q[c];
            sum += q[c];
            max = Math.Max(max, Math.Abs((int)q[c]));
        }
        MaxMagnitude = max;
        Scales[j] = scale;
        RowSums[j] = sum;
    }
}
