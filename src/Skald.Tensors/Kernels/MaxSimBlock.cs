using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>
/// The loop every MaxSim kernel shares (<see cref="MaxSim.Score"/> over float32 rows, <see cref="MaxSimQuantized"/> over
/// float16 / int8 rows), shaped as a small GEMM S = D·Qᵀ followed by a max down each column. The query is packed once
/// into k-major blocks of 32 (AVX-512), 16 (AVX2) or 8 (128-bit: Arm NEON, SSE with FMA) tokens, zero-padded (<c>panel[(block · dim + k) · width + j]</c>);
/// the document's rows are read in place (float32) or widened a tile at a time into a small buffer (float16, int8);
/// each tile of 12 (6) rows goes through every block's register tile (<see cref="MaxSimTiles512"/>,
/// <see cref="MaxSimTiles256"/>, <see cref="MaxSimTiles128"/>: broadcast a row's value, multiply-add it into the block's accumulators), which keeps
/// the best value of each query token with vertical maxima. The rows left over are taken 4 (3) at a time, the last row
/// repeated to fill the tile (a repeated row changes no max). Every similarity is one fused multiply-add chain in k order
/// from 0, int8 rows' sums are then multiplied by m / 127, the maxima are exact and the query tokens' maxima are summed
/// in order, so the result has the scalar twins' bits on every width.
/// </summary>
/// <remarks>
/// Nothing is allocated once a thread's buffers have grown to the largest query and dimension it has seen: the packed
/// panel, the best-so-far values and the widening buffer are thread-static. The panel is kept with a copy of the query
/// it was packed from and is reused while the next query has the same bits (an index scan scores one query against
/// every row; comparing its bits costs about 1/100 of a 140-token document's work), so the transposition is paid once
/// per query and thread, not once per document.
/// </remarks>
internal static unsafe class MaxSimBlock
{
    /// <summary>
    /// The widest tiles this CPU runs (<see cref="Runs"/>): <see cref="ManagedGemmKernel.Vector512"/>,
    /// <see cref="ManagedGemmKernel.Vector256"/> or <see cref="ManagedGemmKernel.Vector128"/>; where even the 128-bit
    /// ones do not run, <see cref="ManagedGemmKernel.Vector128"/> too, and the callers run the scalar twins.
    /// </summary>
    public static readonly ManagedGemmKernel Path =
        Runs(ManagedGemmKernel.Vector512) ? ManagedGemmKernel.Vector512
        : Runs(ManagedGemmKernel.Vector256) ? ManagedGemmKernel.Vector256
        : ManagedGemmKernel.Vector128;

    /// <summary>
    /// Whether this CPU runs <paramref name="path"/>'s tiles with fused multiply-adds in hardware: AVX-512F for
    /// <see cref="ManagedGemmKernel.Vector512"/>, AVX2 + FMA for <see cref="ManagedGemmKernel.Vector256"/>, Arm NEON or
    /// x86 FMA for <see cref="ManagedGemmKernel.Vector128"/> (elsewhere a fused multiply-add would be emulated: the
    /// scalar twins run instead). No other kind has MaxSim tiles.
    /// </summary>
    public static bool Runs(ManagedGemmKernel path) => path switch
    {
        ManagedGemmKernel.Vector512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        ManagedGemmKernel.Vector256 => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported,
        ManagedGemmKernel.Vector128 => Vector128.IsHardwareAccelerated && (Fma.IsSupported || AdvSimd.IsSupported),
        _ => false,
    };

    [ThreadStatic] private static float[]? packedFrom;
    [ThreadStatic] private static float[]? panel;
    [ThreadStatic] private static float[]? bestBuffer;
    [ThreadStatic] private static float[]? widened;
    [ThreadStatic] private static int packedLength, packedDim, packedWidth;

    /// <summary>
    /// MaxSim of <paramref name="query"/> [query tokens × dim] against <paramref name="tokens"/> document rows given as
    /// exactly one of <paramref name="f32"/>, <paramref name="f16"/> (binary16 bits) or <paramref name="i8"/> (codes, with
    /// <paramref name="maxima"/>: each row's m), on <paramref name="path"/>'s tiles (<see cref="ManagedGemmKernel.Vector512"/>
    /// <see cref="ManagedGemmKernel.Vector256"/> or <see cref="ManagedGemmKernel.Vector128"/>, which the caller has checked
    /// <see cref="Runs"/>; the caller runs the scalar twin otherwise). Shapes are the caller's to check; tokens ≥ 1.
    /// </summary>
    public static float Score(ReadOnlySpan<float> query, int dim, int tokens, ReadOnlySpan<float> f32, ReadOnlySpan<ushort> f16,
        ReadOnlySpan<sbyte> i8, ReadOnlySpan<float> maxima, ManagedGemmKernel path)
    {
        int qt = query.Length / dim;
        if (qt == 0) return 0f;
        int width = Width(path);
        int blocks = (qt + width - 1) / width;
        float[] packed = Pack(query, dim, qt, width, blocks);
        float[] best = Grow(ref bestBuffer, blocks * width);
        best.AsSpan(0, blocks * width).Fill(float.NegativeInfinity);
        float[]? rows = f32.IsEmpty ? Grow(ref widened, MaxSimTiles512.Rows * dim) : null;
        fixed (float* q = packed, b = best, w = rows, d32 = f32, m = maxima)
        fixed (ushort* d16 = f16)
        fixed (sbyte* d8 = i8)
        {
            int full = path switch { ManagedGemmKernel.Vector512 => MaxSimTiles512.Rows, ManagedGemmKernel.Vector128 => MaxSimTiles128.Rows, _ => MaxSimTiles256.Rows };
            for (int t = 0; t < tokens; t += full)
            {
                int n = Math.Min(full, tokens - t);
                float* d = d32 + (nint)t * dim;
                if (d16 != null)
                {
                    F16.ToSingle(new ReadOnlySpan<ushort>(d16 + (nint)t * dim, n * dim), new Span<float>(w, n * dim));
                    d = w;
                }
                else if (d8 != null)
                {
                    MaxSimQuantized.Widen(new ReadOnlySpan<sbyte>(d8 + (nint)t * dim, n * dim), new Span<float>(w, n * dim));
                    d = w;
                }
                if (n == full)
                {
                    nint after = (nint)(t + full) * dim; // the next tile's rows in the source: fetched into L2 during this one
                    byte* next = d16 != null ? (byte*)(d16 + after) : d8 != null ? (byte*)(d8 + after) : (byte*)(d32 + after);
                    Full(path, dim, qt, blocks, q, b, d, m == null ? null : m + t, next);
                }
                else Tail(path, dim, qt, blocks, q, b, d, n, m == null ? null : m + t);
            }
        }
        float sum = 0f;
        for (int i = 0; i < qt; i++) sum += best[i];
        return sum;
    }

    /// <summary>Query tokens a packed block of <paramref name="path"/>'s tiles holds.</summary>
    private static int Width(ManagedGemmKernel path) => path switch
    {
        ManagedGemmKernel.Vector512 => MaxSimTiles512.Width,
        ManagedGemmKernel.Vector128 => MaxSimTiles128.Width,
        _ => MaxSimTiles256.Width,
    };

    /// <summary>One full tile of rows through every query block.</summary>
    private static void Full(ManagedGemmKernel path, int dim, int qt, int blocks, float* panel, float* best, float* d, float* maxima, byte* next)
    {
        int width = Width(path);
        for (int blk = 0; blk < blocks; blk++)
        {
            float* q = panel + (nint)blk * dim * width, b = best + blk * width;
            if (path == ManagedGemmKernel.Vector128) MaxSimTiles128.Tile6x8(dim, d, dim, q, b, maxima, next);
            else if (path != ManagedGemmKernel.Vector512) MaxSimTiles256.Tile6x16(dim, d, dim, q, b, maxima, next);
            else if (qt - blk * width <= 16) MaxSimTiles512.Tile12x16(dim, d, dim, q, b, maxima, next);
            else MaxSimTiles512.Tile12x32(dim, d, dim, q, b, maxima, next);
        }
    }

    /// <summary>The last n rows (fewer than a full tile), a tail tile at a time, the last row repeated to fill it.</summary>
    private static void Tail(ManagedGemmKernel path, int dim, int qt, int blocks, float* panel, float* best, float* d, int n, float* maxima)
    {
        int rows = path switch { ManagedGemmKernel.Vector512 => MaxSimTiles512.TailRows, ManagedGemmKernel.Vector128 => MaxSimTiles128.TailRows, _ => MaxSimTiles256.TailRows };
        int width = Width(path);
        float* f = stackalloc float[MaxSimTiles512.TailRows];
        for (int r = 0; r < n; r += rows)
        {
            for (int j = 0; j < rows; j++) f[j] = maxima == null ? 1f : maxima[Math.Min(r + j, n - 1)] / MaxSimQuantized.Int8Levels;
            float* row = d + (nint)r * dim;
            nint o1 = (nint)(Math.Min(r + 1, n - 1) - r) * dim, o2 = (nint)(Math.Min(r + 2, n - 1) - r) * dim;
            nint o3 = (nint)(Math.Min(r + 3, n - 1) - r) * dim;
            for (int blk = 0; blk < blocks; blk++)
            {
                float* q = panel + (nint)blk * dim * width, b = best + blk * width;
                if (path == ManagedGemmKernel.Vector128) MaxSimTiles128.Tile3x8(dim, row, o1, o2, q, b, f);
                else if (path != ManagedGemmKernel.Vector512) MaxSimTiles256.Tile3x16(dim, row, o1, o2, q, b, f);
                else if (qt - blk * width <= 16) MaxSimTiles512.Tile4x16(dim, row, o1, o2, o3, q, b, f);
                else MaxSimTiles512.Tile4x32(dim, row, o1, o2, o3, q, b, f);
            }
        }
    }

    /// <summary>
    /// This thread's panel of <paramref name="query"/>: reused when the query has the bits of the one it was packed
    /// from, else packed again (zeros past the last query token).
    /// </summary>
    private static float[] Pack(ReadOnlySpan<float> query, int dim, int qt, int width, int blocks)
    {
        var from = packedFrom;
        if (from is not null && packedDim == dim && packedWidth == width && packedLength == query.Length
            && MemoryMarshal.Cast<float, int>(query).SequenceEqual(MemoryMarshal.Cast<float, int>(from.AsSpan(0, query.Length))))
            return panel!;
        from = Grow(ref packedFrom, query.Length);
        packedLength = 0; // not valid until packed
        var p = Grow(ref panel, blocks * dim * width);
        for (int blk = 0; blk < blocks; blk++)
        {
            for (int j = 0; j < width; j++)
            {
                int i = blk * width + j;
                for (int k = 0; k < dim; k++) p[(blk * dim + k) * width + j] = i < qt ? query[i * dim + k] : 0f;
            }
        }
        query.CopyTo(from);
        (packedLength, packedDim, packedWidth) = (query.Length, dim, width);
        return p;
    }

    private static float[] Grow(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[Math.Max(length, 16)];
        return buffer;
    }
}
