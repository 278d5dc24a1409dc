namespace Skald.Retrieval.Quantization;

/// <summary>
/// One query's inner-product table (<see cref="ProductQuantizer.Table"/>, [M × K], K ≤ 16) rounded to bytes for
/// <see cref="FastScanBlocks"/>, the quantized look-up tables of faiss's 4-bit fast scan (André, Kermarrec and Le Scouarnec
/// 2015; faiss's <c>IndexPQFastScan</c> and <c>quantize_lut::round_uint8_per_column</c>, faiss at
/// https://github.com/facebookresearch/faiss/blob/02dbb4e42f49aa2ce57cd78977b0e47a11f7cb91/faiss/utils/quantize_lut.cpp):
/// per subspace the smallest entry is taken off, μₘ = minⱼ T[m][j], and every subspace is scaled by one factor
/// a = 255 / maxₘ (maxⱼ T[m][j] − μₘ), so Q[m][j] = round(a·(T[m][j] − μₘ)) is a byte and a code's M bytes sum to at most
/// 255·M (≤ 65,535 for M ≤ 257: a 16-bit sum). Then Σₘ T[m][cₘ] = <see cref="Bias"/> + Σₘ Q[m][cₘ] / a + e with
/// |e| ≤ M / (2a) plus float rounding; <see cref="Slack"/> bounds |e| (M / a, and (M + 2)·2⁻²³ of the entries' and minima's
/// magnitudes for the float sums), so
/// a row whose byte sum s has Bias + s / a + Slack below a threshold cannot reach it. Unlike faiss, which ranks by the
/// rounded sums, <see cref="PqSearch"/> only skips rows with them and scores the rest from the float table: the hits are
/// exactly those of the byte-per-lookup scan.
/// </summary>
internal sealed class FastScanTable
{
    /// <summary>Bytes per subspace in <see cref="Lut"/>: the 16 entries repeated in each 128-bit lane of a 512-bit register.</summary>
    internal const int Stride = 64;

    private FastScanTable(byte[] lut, float scale, float bias, float slack)
    {
        Lut = lut;
        Scale = scale;
        Bias = bias;
        Slack = slack;
    }

    /// <summary>Q[m][j] at m·<see cref="Stride"/> + 16·lane + j (lanes 0–3 equal; j ≥ K and a padding subspace M hold 0).</summary>
    public byte[] Lut { get; }

    /// <summary>The factor a of the class summary (1 when every subspace's entries are equal).</summary>
    public float Scale { get; }

    /// <summary>Σₘ μₘ.</summary>
    public float Bias { get; }

    /// <summary>A bound on |Σₘ T[m][cₘ] − (Bias + s / a)| over every code, in score units.</summary>
    public float Slack { get; }

    /// <summary>
    /// The byte table of <paramref name="table"/> [<paramref name="subspaces"/> × <paramref name="centroids"/>], or null
    /// when it holds a NaN or an infinity or entries whose spread overflows (the caller scans without skipping).
    /// </summary>
    public static FastScanTable? Quantize(ReadOnlySpan<float> table, int subspaces, int centroids)
    {
        if (centroids > 16) throw new ArgumentOutOfRangeException(nameof(centroids), centroids, "byte tables hold 16 centroids at most");
        int pairs = (subspaces + 1) / 2;
        var min = new float[subspaces];
        float range = 0;
        double magnitude = 0;
        for (int m = 0; m < subspaces; m++)
        {
            var row = table.Slice(m * centroids, centroids);
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity, big = 0;
            foreach (float t in row)
            {
                if (!float.IsFinite(t)) return null;
                lo = Math.Min(lo, t);
                hi = Math.Max(hi, t);
                big = Math.Max(big, Math.Abs(t));
            }
            min[m] = lo;
            range = Math.Max(range, hi - lo);
            magnitude += big;
        }
        if (!float.IsFinite(range)) return null; // entries so far apart that their difference overflows
        float scale = range > 0 && float.IsFinite(255f / range) ? 255f / range : 1f;
        var lut = new byte[pairs * 2 * Stride];
        float bias = 0;
        double minMagnitude = 0;
        for (int m = 0; m < subspaces; m++)
        {
            bias += min[m];
            minMagnitude += Math.Abs(min[m]);
            for (int j = 0; j < centroids; j++)
            {
                byte q = (byte)Math.Clamp(Math.Round((double)(table[m * centroids + j] - min[m]) * scale), 0, 255);
                for (int lane = 0; lane < 4; lane++) lut[m * Stride + 16 * lane + j] = q;
            }
        }
        // Rounding to bytes: at most half a step per subspace (doubled for the float arithmetic that forms the steps);
        // float sums of M terms (the score's and Bias's): at most (M − 1)·2⁻²⁴ of their terms' magnitudes each, doubled.
        double slack = subspaces / (double)scale + (subspaces + 2) * Math.ScaleB(1, -23) * (magnitude + minMagnitude);
        return new FastScanTable(lut, scale, bias, (float)Math.BitIncrement(slack));
    }

    /// <summary>
    /// The smallest byte sum a row must have to possibly score at least <paramref name="threshold"/> once
    /// <paramref name="offset"/> is added (0 when every row may; above 65,535 when none can).
    /// </summary>
    public int Floor(float threshold, float offset)
    {
        if (float.IsNegativeInfinity(threshold)) return 0;
        double s = Math.Floor(((double)threshold - offset - Bias - Slack - Math.ScaleB(1, -22) * Math.Abs(offset)) * Scale);
        return (int)Math.Clamp(s, 0, 65_536);
    }
}
