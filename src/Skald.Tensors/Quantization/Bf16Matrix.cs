namespace Skald.Tensors.Quantization;

/// <summary>
/// A [N, K] weight (PyTorch's Linear [out, in]) in bfloat16, held in the bfloat16 GEMM's panel layout
/// (<see cref="Bf16Gemm"/>): panels of <see cref="PanelWidth"/> rows of W (output columns of y), each panel a run of
/// K/2 pair groups, a group holding, for each of the 16 rows, the dword (w[j, 2t], w[j, 2t + 1]) (even k in the low
/// half), so one 512-bit load feeds one <c>vdpbf16ps</c> (<see cref="Bf16TileDot512"/>). K is padded to even and N to
/// a multiple of 16 with zeros. Float32 weights are rounded to nearest even (<see cref="Kernels.Bf16.FromSingle(float)"/>);
/// bfloat16 weights (<c>--weights bf16</c>, or a bfloat16 checkpoint's matrices left in their file) are taken as they are.
/// </summary>
public sealed class Bf16Matrix
{
    /// <summary>Output rows per panel (16 float32 lanes of one zmm).</summary>
    public const int PanelWidth = 16;

    private Bf16Matrix(int n, int k)
    {
        if (n <= 0 || k <= 0) throw new ArgumentException($"a bfloat16 weight needs positive [n, k], got [{n}, {k}]");
        N = n;
        K = k;
        PaddedK = (k + 1) / 2 * 2;
        PaddedN = (n + PanelWidth - 1) / PanelWidth * PanelWidth;
        Packed = GC.AllocateArray<ushort>(checked(PaddedN * PaddedK), pinned: true);
    }

    /// <summary>Output features (rows of W).</summary>
    public int N { get; }

    /// <summary>Input features (columns of W).</summary>
    public int K { get; }

    /// <summary>K rounded up to even.</summary>
    public int PaddedK { get; }

    /// <summary>N rounded up to a multiple of <see cref="PanelWidth"/>.</summary>
    public int PaddedN { get; }

    /// <summary>The bfloat16 bits in panel layout, [PaddedN / 16][PaddedK / 2][16 · 2] (pinned).</summary>
    internal ushort[] Packed { get; }

    /// <summary>Bytes held.</summary>
    public long Bytes => 2L * Packed.Length;

    /// <summary>Index of w[j, k] in <see cref="Packed"/>.</summary>
    internal int IndexOf(int j, int k) =>
        (j / PanelWidth) * PaddedK * PanelWidth + (k / 2) * PanelWidth * 2 + (j % PanelWidth) * 2 + (k & 1);

    /// <summary>A row-major [n, k] float32 weight rounded to bfloat16 (to nearest even).</summary>
    public static Bf16Matrix FromSingle(ReadOnlySpan<float> weight, int n, int k)
    {
        Check(weight.Length, n, k);
        var m = new Bf16Matrix(n, k);
        var row = new ushort[k];
        for (int j = 0; j < n; j++)
        {
            Kernels.Bf16.FromSingle(weight.Slice(j * k, k), row);
            m.SetRow(j, row);
        }
        return m;
    }

    /// <summary>A row-major [n, k] bfloat16 weight (its bits, as a <see cref="WeightPrecision.BFloat16"/> parameter holds them).</summary>
    public static Bf16Matrix FromBits(ReadOnlySpan<ushort> weight, int n, int k)
    {
        Check(weight.Length, n, k);
        var m = new Bf16Matrix(n, k);
        for (int j = 0; j < n; j++) m.SetRow(j, weight.Slice(j * k, k));
        return m;
    }

    /// <summary>
    /// The [n, k] weight whose row-major values start at value <paramref name="first"/> of <paramref name="file"/>, as a
    /// parameter held as <paramref name="heldAs"/> reads them, packed straight from the file
    /// (<see cref="Memory.FileValues.ReadBf16"/>, a few KB at a time): the panels <see cref="FromSingle"/> makes from the
    /// weight's float32 values, bit for bit, without that float32 copy (a bfloat16 checkpoint's bits are taken as stored).
    /// </summary>
    internal static Bf16Matrix FromFile(Memory.FileValues file, long first, int n, int k, WeightPrecision heldAs)
    {
        ArgumentNullException.ThrowIfNull(file);
        var m = new Bf16Matrix(n, k);
        Span<ushort> chunk = stackalloc ushort[2048];
        long count = (long)n * k;
        int j = 0, c = 0;
        for (long at = 0; at < count; at += chunk.Length)
        {
            var part = chunk[..(int)Math.Min(chunk.Length, count - at)];
            file.ReadBf16(first + at, part, heldAs);
            foreach (ushort bits in part)
            {
                m.Packed[m.IndexOf(j, c)] = bits;
                if (++c == k)
                {
                    c = 0;
                    j++;
                }
            }
        }
        return m;
    }

    /// <summary>The bfloat16 bits of row <paramref name="j"/> into <paramref name="destination"/> (K values).</summary>
    public void CopyRow(int j, Span<ushort> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(j);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(j, N);
        for (int c = 0; c < K; c++) destination[c] = Packed[IndexOf(j, c)];
    }

    /// <summary>Rows [<paramref name="start"/>, start + <paramref name="count"/>) as their own matrix (bits unchanged).</summary>
    public Bf16Matrix Rows(int start, int count)
    {
        if (start < 0 || count <= 0 || start + (long)count > N) throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) of {N}");
        var m = new Bf16Matrix(count, K);
        var row = new ushort[K];
        for (int j = 0; j < count; j++)
        {
            CopyRow(start + j, row);
            m.SetRow(j, row);
        }
        return m;
    }

    private static void Check(int length, int n, int k)
    {
        if (n <= 0 || k <= 0 || length < (long)n * k)
            throw new ArgumentException($"a [{n}, {k}] weight needs {(long)n * k} values, got {length}");
    }

    private void SetRow(int j, ReadOnlySpan<ushort> row)
    {
        for (int c = 0; c < K; c++) Packed[IndexOf(j, c)] = row[c];
    }
}
