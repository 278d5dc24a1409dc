using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Kernels;

/// <summary>
/// The AVX-512 register tiles of <see cref="MaxSimBlock"/>: a few document token rows (row-major, read in place) against
/// a block of 32 (or 16) query tokens packed k-major (<c>q[k · 32 + j]</c> is query token j's value k), so each step k
/// broadcasts one value of each document row and multiply-adds it into one or two 16-wide accumulators per row, as the
/// GEMM's direct 12×32 tile does with A (<see cref="Gemm.MicroKernels"/>). Each similarity is one fused multiply-add
/// chain in k order from 0 (the scalar twins' order); the rows' results are then scaled (int8 rows), reduced over the
/// rows with a vertical max and merged into the block's best-so-far values: no horizontal sum anywhere.
/// </summary>
internal static unsafe class MaxSimTiles512
{
    /// <summary>Document rows of the full tile.</summary>
    public const int Rows = 12;

    /// <summary>Document rows of the tail tile.</summary>
    public const int TailRows = 4;

    /// <summary>Query tokens a packed block holds (the panel's row stride).</summary>
    public const int Width = 32;

    /// <summary>
    /// 12 rows d + r·lda × 32 query tokens: best[j] = max(best[j], maxᵣ fᵣ · dᵣ · qⱼ), fᵣ = maxima[r] / 127 when
    /// <paramref name="maxima"/> is given (int8 rows), else 1 (no multiply).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile12x32(int dim, float* d, nint lda, float* q, float* best, float* maxima, byte* next)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        nint l1 = lda, l2 = 2 * lda, l3 = 3 * lda;
        float* a0 = d, a4 = d + 4 * lda, a8 = d + 8 * lda, end = d + dim;
        for (; a0 < end; a0++, a4++, a8++, q += Width, next += 64)
        {
            Sse.Prefetch1(next);
            var b0 = Vector512.Load(q);
            var b1 = Vector512.Load(q + 16);
            var av = Vector512.Create(a0[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a0[l1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a0[l2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a0[l3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a4[0]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a4[l1]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a4[l2]);
            c60 = Vector512.FusedMultiplyAdd(av, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a4[l3]);
            c70 = Vector512.FusedMultiplyAdd(av, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            av = Vector512.Create(a8[0]);
            c80 = Vector512.FusedMultiplyAdd(av, b0, c80);
            c81 = Vector512.FusedMultiplyAdd(av, b1, c81);
            av = Vector512.Create(a8[l1]);
            c90 = Vector512.FusedMultiplyAdd(av, b0, c90);
            c91 = Vector512.FusedMultiplyAdd(av, b1, c91);
            av = Vector512.Create(a8[l2]);
            c100 = Vector512.FusedMultiplyAdd(av, b0, c100);
            c101 = Vector512.FusedMultiplyAdd(av, b1, c101);
            av = Vector512.Create(a8[l3]);
            c110 = Vector512.FusedMultiplyAdd(av, b0, c110);
            c111 = Vector512.FusedMultiplyAdd(av, b1, c111);
        }
        if (maxima != null)
        {
            var f = Factor(maxima[0]); c00 *= f; c01 *= f;
            f = Factor(maxima[1]); c10 *= f; c11 *= f;
            f = Factor(maxima[2]); c20 *= f; c21 *= f;
            f = Factor(maxima[3]); c30 *= f; c31 *= f;
            f = Factor(maxima[4]); c40 *= f; c41 *= f;
            f = Factor(maxima[5]); c50 *= f; c51 *= f;
            f = Factor(maxima[6]); c60 *= f; c61 *= f;
            f = Factor(maxima[7]); c70 *= f; c71 *= f;
            f = Factor(maxima[8]); c80 *= f; c81 *= f;
            f = Factor(maxima[9]); c90 *= f; c91 *= f;
            f = Factor(maxima[10]); c100 *= f; c101 *= f;
            f = Factor(maxima[11]); c110 *= f; c111 *= f;
        }
        var lo = Max(Max(Max(c00, c10, c20), Max(c30, c40, c50)), Max(Max(c60, c70, c80), Max(c90, c100, c110)));
        var hi = Max(Max(Max(c01, c11, c21), Max(c31, c41, c51)), Max(Max(c61, c71, c81), Max(c91, c101, c111)));
        Vector512.MaxNative(Vector512.Load(best), lo).Store(best);
        Vector512.MaxNative(Vector512.Load(best + 16), hi).Store(best + 16);
    }

    /// <summary><see cref="Tile12x32"/> over the first 16 query tokens of a block (the last block when at most 16 remain).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile12x16(int dim, float* d, nint lda, float* q, float* best, float* maxima, byte* next)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        nint l1 = lda, l2 = 2 * lda, l3 = 3 * lda;
        float* a0 = d, a4 = d + 4 * lda, a8 = d + 8 * lda, end = d + dim;
        for (; a0 < end; a0++, a4++, a8++, q += Width, next += 64)
        {
            Sse.Prefetch1(next);
            var b0 = Vector512.Load(q);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[0]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[l1]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[l2]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[l3]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[0]), b0, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[l1]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[l2]), b0, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[l3]), b0, c7);
            c8 = Vector512.FusedMultiplyAdd(Vector512.Create(a8[0]), b0, c8);
            c9 = Vector512.FusedMultiplyAdd(Vector512.Create(a8[l1]), b0, c9);
            c10 = Vector512.FusedMultiplyAdd(Vector512.Create(a8[l2]), b0, c10);
            c11 = Vector512.FusedMultiplyAdd(Vector512.Create(a8[l3]), b0, c11);
        }
        if (maxima != null)
        {
            c0 *= Factor(maxima[0]); c1 *= Factor(maxima[1]); c2 *= Factor(maxima[2]); c3 *= Factor(maxima[3]);
            c4 *= Factor(maxima[4]); c5 *= Factor(maxima[5]); c6 *= Factor(maxima[6]); c7 *= Factor(maxima[7]);
            c8 *= Factor(maxima[8]); c9 *= Factor(maxima[9]); c10 *= Factor(maxima[10]); c11 *= Factor(maxima[11]);
        }
        var m = Max(Max(Max(c0, c1, c2), Max(c3, c4, c5)), Max(Max(c6, c7, c8), Max(c9, c10, c11)));
        Vector512.MaxNative(Vector512.Load(best), m).Store(best);
    }

    /// <summary>
    /// The tail: 4 rows d, d + o1, d + o2, d + o3 (the driver repeats the last row when fewer remain: a repeated row
    /// changes no max) × 32 query tokens, each row's results times its factor f[r] (1 for float32 / float16 rows: exact).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x32(int dim, float* d, nint o1, nint o2, nint o3, float* q, float* best, float* f)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (float* end = d + dim; d < end; d++, q += Width)
        {
            var b0 = Vector512.Load(q);
            var b1 = Vector512.Load(q + 16);
            var av = Vector512.Create(d[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(d[o1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(d[o2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(d[o3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
        }
        var f0 = Vector512.Create(f[0]);
        var f1 = Vector512.Create(f[1]);
        var f2 = Vector512.Create(f[2]);
        var f3 = Vector512.Create(f[3]);
        var lo = Vector512.MaxNative(Vector512.MaxNative(c00 * f0, c10 * f1), Vector512.MaxNative(c20 * f2, c30 * f3));
        var hi = Vector512.MaxNative(Vector512.MaxNative(c01 * f0, c11 * f1), Vector512.MaxNative(c21 * f2, c31 * f3));
        Vector512.MaxNative(Vector512.Load(best), lo).Store(best);
        Vector512.MaxNative(Vector512.Load(best + 16), hi).Store(best + 16);
    }

    /// <summary><see cref="Tile4x32"/> over the first 16 query tokens of a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x16(int dim, float* d, nint o1, nint o2, nint o3, float* q, float* best, float* f)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (float* end = d + dim; d < end; d++, q += Width)
        {
            var b0 = Vector512.Load(q);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(d[0]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(d[o1]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(d[o2]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(d[o3]), b0, c3);
        }
        var m = Vector512.MaxNative(Vector512.MaxNative(c0 * Vector512.Create(f[0]), c1 * Vector512.Create(f[1])),
            Vector512.MaxNative(c2 * Vector512.Create(f[2]), c3 * Vector512.Create(f[3])));
        Vector512.MaxNative(Vector512.Load(best), m).Store(best);
    }

    /// <summary>An int8 row's factor m / 127, computed as the scalar twin computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Factor(float max) => Vector512.Create(max / MaxSimQuantized.Int8Levels);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Max(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Vector512.MaxNative(Vector512.MaxNative(a, b), c);
}
