using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Kernels;

/// <summary>
/// The 128-bit register tiles of <see cref="MaxSimBlock"/> (Arm NEON, or SSE with FMA), as <see cref="MaxSimTiles256"/>
/// with 4-wide vectors: 6 document rows × a block of 8 query tokens packed k-major (12 accumulators, 2 query vectors and
/// the broadcast), and a 3-row tail. Same fused multiply-add chains in k order, so the same bits as the wider tiles and
/// the scalar twins.
/// </summary>
internal static unsafe class MaxSimTiles128
{
    /// <summary>Document rows of the full tile.</summary>
    public const int Rows = 6;

    /// <summary>Document rows of the tail tile.</summary>
    public const int TailRows = 3;

    /// <summary>Query tokens a packed block holds (the panel's row stride).</summary>
    public const int Width = 8;

    /// <summary>
    /// 6 rows d + r·lda × 8 query tokens: best[j] = max(best[j], maxᵣ fᵣ · dᵣ · qⱼ), fᵣ = maxima[r] / 127 when
    /// <paramref name="maxima"/> is given (int8 rows), else 1 (no multiply). <paramref name="next"/> is fetched into L2
    /// where the CPU has SSE's prefetch (the next tile's rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x8(int dim, float* d, nint lda, float* q, float* best, float* maxima, byte* next)
    {
        // c[r][h]: row r's similarities with query tokens 4h .. 4h + 3 of the block.
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint l1 = lda, l2 = 2 * lda;
        float* a0 = d, a3 = d + 3 * lda, end = d + dim;
        for (; a0 < end; a0++, a3++, q += Width, next += 32)
        {
            if (Sse.IsSupported) Sse.Prefetch1(next);
            var b0 = Vector128.Load(q);
            var b1 = Vector128.Load(q + 4);
            var av = Vector128.Create(a0[0]);
            c00 = Vector128.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector128.FusedMultiplyAdd(av, b1, c01);
            av = Vector128.Create(a0[l1]);
            c10 = Vector128.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector128.FusedMultiplyAdd(av, b1, c11);
            av = Vector128.Create(a0[l2]);
            c20 = Vector128.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector128.FusedMultiplyAdd(av, b1, c21);
            av = Vector128.Create(a3[0]);
            c30 = Vector128.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector128.FusedMultiplyAdd(av, b1, c31);
            av = Vector128.Create(a3[l1]);
            c40 = Vector128.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector128.FusedMultiplyAdd(av, b1, c41);
            av = Vector128.Create(a3[l2]);
            c50 = Vector128.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector128.FusedMultiplyAdd(av, b1, c51);
        }
        if (maxima != null)
        {
            var f = Factor(maxima[0]); c00 *= f; c01 *= f;
            f = Factor(maxima[1]); c10 *= f; c11 *= f;
            f = Factor(maxima[2]); c20 *= f; c21 *= f;
            f = Factor(maxima[3]); c30 *= f; c31 *= f;
            f = Factor(maxima[4]); c40 *= f; c41 *= f;
            f = Factor(maxima[5]); c50 *= f; c51 *= f;
        }
        var lo = Vector128.MaxNative(Max(c00, c10, c20), Max(c30, c40, c50));
        var hi = Vector128.MaxNative(Max(c01, c11, c21), Max(c31, c41, c51));
        Vector128.MaxNative(Vector128.Load(best), lo).Store(best);
        Vector128.MaxNative(Vector128.Load(best + 4), hi).Store(best + 4);
    }

    /// <summary>
    /// The tail: 3 rows d, d + o1, d + o2 (the driver repeats the last row when fewer remain) × 8 query tokens, each
    /// row's results times its factor f[r] (1 for float32 / float16 rows: exact).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile3x8(int dim, float* d, nint o1, nint o2, float* q, float* best, float* f)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        for (float* end = d + dim; d < end; d++, q += Width)
        {
            var b0 = Vector128.Load(q);
            var b1 = Vector128.Load(q + 4);
            var av = Vector128.Create(d[0]);
            c00 = Vector128.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector128.FusedMultiplyAdd(av, b1, c01);
            av = Vector128.Create(d[o1]);
            c10 = Vector128.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector128.FusedMultiplyAdd(av, b1, c11);
            av = Vector128.Create(d[o2]);
            c20 = Vector128.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector128.FusedMultiplyAdd(av, b1, c21);
        }
        var f0 = Vector128.Create(f[0]);
        var f1 = Vector128.Create(f[1]);
        var f2 = Vector128.Create(f[2]);
        var lo = Max(c00 * f0, c10 * f1, c20 * f2);
        var hi = Max(c01 * f0, c11 * f1, c21 * f2);
        Vector128.MaxNative(Vector128.Load(best), lo).Store(best);
        Vector128.MaxNative(Vector128.Load(best + 4), hi).Store(best + 4);
    }

    /// <summary>An int8 row's factor m / 127, computed as the scalar twin computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Factor(float max) => Vector128.Create(max / MaxSimQuantized.Int8Levels);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Max(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Vector128.MaxNative(Vector128.MaxNative(a, b), c);
}
