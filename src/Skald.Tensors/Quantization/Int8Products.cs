using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

/// <summary>
/// Exact integer products of 8-bit codes, the kernel under a search over int8 / uint8 embeddings with many queries:
/// c[i, j] = Σ_k a[i, k] · b[j, k] in int32, a unsigned [m, k] row-major, b signed [n, k] packed by <see cref="Pack"/>
/// into <see cref="Int8Gemm"/>'s panel layout (16 rows of b a panel, groups of 4 k; <see cref="Int8Matrix"/>). On
/// AVX512-VNNI the 8 × 32 tile <see cref="Int8TileVnni512"/> runs it, else on AVX-VNNI the 8 × 16
/// <see cref="Int8TileVnni.Tile8"/> (vpdpbusd adds the four u8 · s8 products of a group straight into int32: exact for
/// every code, unlike the vpmaddubsw tiles, whose int16 step saturates on 8-bit codes); elsewhere the scalar twin
/// <see cref="Int8TileScalar"/> gives the same integers. No scales, no zero points:
/// the caller shifts codes (u8 = s8 + 128 flips the top bit) and corrects the sums.
/// </summary>
public static unsafe class Int8Products
{
    /// <summary>Rows of a that one tile takes: a must hold <see cref="PaddedRows"/>(m) rows (the extra ones are read, not used).</summary>
    public const int RowStep = Int8TileVnni.Rows;

    /// <summary>Whether <see cref="Multiply(ReadOnlySpan{byte}, int, int, ReadOnlySpan{sbyte}, int, int, Span{int}, int)"/> runs a vpdpbusd tile here (else the scalar twin, far slower).</summary>
    public static bool Accelerated => Fastest != Int8Kernel.Scalar;

    // The tile Multiply runs: 512-bit vpdpbusd, else 256-bit, else the scalar twin.
    private static Int8Kernel Fastest { get; } =
        Int8TileVnni512.IsSupported ? Int8Kernel.Avx512Vnni : AvxVnni.IsSupported ? Int8Kernel.AvxVnni : Int8Kernel.Scalar;

    /// <summary>Bytes a row of a (its stride) and a packed row of b take at least: k rounded up to a multiple of 16.</summary>
    public static int PaddedDepth(int k) => (k + Int8Matrix.KStep - 1) / Int8Matrix.KStep * Int8Matrix.KStep;

    /// <summary>Rows a must hold for m rows of products: m rounded up to a multiple of <see cref="RowStep"/>.</summary>
    public static int PaddedRows(int m) => (m + RowStep - 1) / RowStep * RowStep;

    /// <summary>Bytes <see cref="Pack"/> writes for n rows of depth k (whole panels of 16 rows, zero-padded).</summary>
    public static int PackedLength(int n, int k) =>
        (n + Int8Matrix.PanelWidth - 1) / Int8Matrix.PanelWidth * Int8Matrix.PanelWidth * PaddedDepth(k);

    /// <summary>
    /// Packs rows [0, n) of b (k codes each, row stride <paramref name="ldb"/>) into <paramref name="packed"/>
    /// (<see cref="PackedLength"/>(n, k) bytes; padding rows and depths are zero). With <paramref name="flip"/> each byte's
    /// top bit is flipped, so unsigned codes c become the signed c − 128.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Pack(ReadOnlySpan<byte> b, int n, int k, int ldb, bool flip, Span<sbyte> packed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, k);
        int kp = PaddedDepth(k), length = PackedLength(n, k);
        if (n > 0 && b.Length < (long)(n - 1) * ldb + k) throw new ArgumentException($"b needs {n} rows of stride {ldb}", nameof(b));
        if (packed.Length < length) throw new ArgumentException($"packed needs {length} bytes", nameof(packed));
        // Whole panels of rows a multiple of 16 deep are written in full; otherwise the padding must read as zeros.
        if (n % Int8Matrix.PanelWidth != 0 || k != kp) packed[..length].Clear();
        int whole = k / Int8Matrix.GroupDepth, groupBytes = Int8Matrix.PanelWidth * Int8Matrix.GroupDepth;
        uint mask = flip ? 0x80808080u : 0u;
        fixed (byte* pb = b)
        fixed (sbyte* pp = packed)
        {
            for (int j = 0; j < n; j++)
            {
                byte* src = pb + (long)j * ldb;
                // Row j's groups: one 4-byte column of the 64-byte group in its panel.
                sbyte* dst = pp + (long)(j / Int8Matrix.PanelWidth) * kp * Int8Matrix.PanelWidth
                    + j % Int8Matrix.PanelWidth * Int8Matrix.GroupDepth;
                for (int g = 0; g < whole; g++) *(uint*)(dst + (long)g * groupBytes) = *(uint*)(src + 4 * g) ^ mask;
                for (int c = whole * Int8Matrix.GroupDepth; c < k; c++)
                    dst[(long)whole * groupBytes + c % Int8Matrix.GroupDepth] = (sbyte)(src[c] ^ (byte)mask);
            }
        }
    }

    /// <summary>
    /// c[i, j] = Σ_k a[i, k] · b[j, k] for i &lt; m, j &lt; n (row stride <paramref name="ldc"/>), exactly in int32
    /// (|c| ≤ 255 · 128 · k: k up to 65,793). a: unsigned codes, row stride <paramref name="lda"/> ≥
    /// <see cref="PaddedDepth"/>(k), <see cref="PaddedRows"/>(m) rows readable (bytes past k and rows past m are read
    /// and multiply nothing); <paramref name="packed"/>: b as <see cref="Pack"/> wrote it.
    /// </summary>
    public static void Multiply(ReadOnlySpan<byte> a, int m, int lda, ReadOnlySpan<sbyte> packed, int n, int k, Span<int> c, int ldc) =>
        Multiply(a, m, lda, packed, n, k, c, ldc, Fastest);

    /// <summary><see cref="Multiply(ReadOnlySpan{byte}, int, int, ReadOnlySpan{sbyte}, int, int, Span{int}, int)"/> with
    /// the given tile: <see cref="Int8Kernel.Avx512Vnni"/>, <see cref="Int8Kernel.AvxVnni"/> or the scalar twin.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void Multiply(ReadOnlySpan<byte> a, int m, int lda, ReadOnlySpan<sbyte> packed, int n, int k, Span<int> c,
        int ldc, Int8Kernel kernel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int kp = PaddedDepth(k);
        if (k > 65_793) throw new ArgumentOutOfRangeException(nameof(k), k, "int32 sums hold up to 65,793 products of 8-bit codes");
        if (lda < kp) throw new ArgumentOutOfRangeException(nameof(lda), lda, $"rows of a take at least {kp} bytes (k rounded up to 16)");
        if (kernel is not (Int8Kernel.Scalar or Int8Kernel.AvxVnni or Int8Kernel.Avx512Vnni))
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "exact products run the vpdpbusd tiles or the scalar twin");
        if (!Int8Gemm.IsSupported(kernel)) throw new PlatformNotSupportedException($"this CPU does not run the {kernel} tile");
        bool vnni = kernel == Int8Kernel.AvxVnni, wide = kernel == Int8Kernel.Avx512Vnni;
        if (m == 0 || n == 0) return;
        if (a.Length < (long)PaddedRows(m) * lda) throw new ArgumentException($"a needs {PaddedRows(m)} rows of {lda} bytes", nameof(a));
        if (packed.Length < PackedLength(n, k)) throw new ArgumentException($"packed needs {PackedLength(n, k)} bytes", nameof(packed));
        if (ldc < n || c.Length < (long)(m - 1) * ldc + n) throw new ArgumentException($"c needs {m} rows of stride {ldc} ≥ {n}", nameof(c));
        int groups = kp / Int8Matrix.GroupDepth, panels = (n + Int8Matrix.PanelWidth - 1) / Int8Matrix.PanelWidth;
        int* acc = stackalloc int[RowStep * 2 * Int8Matrix.PanelWidth];
        long panelBytes = (long)kp * Int8Matrix.PanelWidth;
        fixed (byte* pa = a)
        fixed (sbyte* pp = packed)
        fixed (int* pc = c)
        {
            // An 8-row tile of a (in L1) against every panel; b's panels stay in L1/L2 across the tiles.
            for (int i0 = 0; i0 < m; i0 += RowStep)
            {
                int rows = Math.Min(RowStep, m - i0);
                for (int p = 0; p < panels; p++)
                {
                    sbyte* panel = pp + (long)p * kp * Int8Matrix.PanelWidth;
                    byte* tileA = pa + (long)i0 * lda;
                    int j0 = p * Int8Matrix.PanelWidth, cols = Math.Min(Int8Matrix.PanelWidth, n - j0);
                    if (wide)
                    {
                        // Two panels a tile where two are left: 32 columns of c (or 16), through acc unless whole.
                        int width = p + 1 < panels ? 2 : 1, span = Math.Min(width * Int8Matrix.PanelWidth, n - j0);
                        if (rows == RowStep && span == width * Int8Matrix.PanelWidth)
                            Int8TileVnni512.Tile(tileA, lda, panel, panelBytes, width, groups, pc + (long)i0 * ldc + j0, ldc);
                        else
                        {
                            Int8TileVnni512.Tile(tileA, lda, panel, panelBytes, width, groups, acc, 2 * Int8Matrix.PanelWidth);
                            for (int r = 0; r < rows; r++)
                                new ReadOnlySpan<int>(acc + r * 2 * Int8Matrix.PanelWidth, span).CopyTo(new Span<int>(pc + (long)(i0 + r) * ldc + j0, span));
                        }
                        p += width - 1;
                        continue;
                    }
                    if (vnni && rows == RowStep && cols == Int8Matrix.PanelWidth)
                    {
                        Int8TileVnni.Tile8(tileA, lda, panel, groups, pc + (long)i0 * ldc + j0, ldc); // a whole tile: straight into c
                        continue;
                    }
                    if (vnni)
                    {
                        Int8TileVnni.Tile8(tileA, lda, panel, groups, acc);
                    }
                    else
                    {
                        Int8TileScalar.Tile(tileA, lda, panel, groups, acc);
                        Int8TileScalar.Tile(tileA + 4L * lda, lda, panel, groups, acc + 4 * Int8Matrix.PanelWidth);
                    }
                    for (int r = 0; r < rows; r++)
                        new ReadOnlySpan<int>(acc + r * Int8Matrix.PanelWidth, cols).CopyTo(new Span<int>(pc + (long)(i0 + r) * ldc + j0, cols));
                }
            }
        }
    }
}
