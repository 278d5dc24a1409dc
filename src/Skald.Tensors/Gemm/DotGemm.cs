using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Gemm;

/// <summary>
/// Unpacked path for few rows times a transposed B (x[m, k] · W[n, k]ᵀ with small m: a decoding step of generation,
/// a short query through a Linear layer): both operands are contiguous along k, so tiles of dot products (4×4 of
/// Vector512 with the AVX-512 kernel, 4×2 of Vector256 with the AVX2 ones) run straight off the stored rows, and the
/// weight matrix is streamed once instead of being packed (packing reads and writes it once more per call: a decoding
/// step took 2.2–3× as long that way, bench/kernel dot).
/// </summary>
/// <remarks>
/// Every element is one chain of fused multiply-adds per lane (lane l takes k ≡ l mod the lane count, in increasing
/// k), the lanes' <c>Sum</c>, then the tail one product at a time, whatever m is and wherever the row sits in a tile:
/// a row gives the same bits alone as in a batch (generation with a batch equals each prompt on its own).
/// <para>
/// A tile reads 4 (AVX-512) or 2 weight rows side by side, a few KB each; the hardware prefetcher, which follows one
/// long stream well, does not catch such short interleaved ones in time, so each tile prefetches the next tile's rows
/// at the same k into L1 as it goes. On the Zen 5 VM that made a 4-row decoding step 1.1–1.35× faster with AVX-512
/// and 2× with the AVX2 tile (bench/kernel dot).
/// </para>
/// </remarks>
internal static unsafe class DotGemm
{
    /// <summary>Largest m routed here (measured: clearly faster at m = 16, a wash at 32, slower at 64).</summary>
    public const int MaxRows = 16;

    /// <summary>Sends every product to the packed path instead (bench/kernel's comparison); false in production.</summary>
    internal static bool Disabled;

    /// <summary>Whether the product goes here with <paramref name="kernel"/>'s vector width.</summary>
    public static bool Applicable(in GemmArgs g, ManagedGemmKernel kernel) =>
        !g.TransA && g.TransB && g.B16 == null && g.M <= MaxRows && g.K >= 64 && g.Alpha != 0f && !Disabled && Lanes(kernel) > 0;

    /// <summary>16 with the AVX-512 kernel, 8 with the AVX2 ones (on a CPU with FMA), else 0 (not here).</summary>
    private static int Lanes(ManagedGemmKernel kernel) => kernel switch
    {
        ManagedGemmKernel.Vector512 when Vector512.IsHardwareAccelerated => 16,
        ManagedGemmKernel.Vector256 or ManagedGemmKernel.Vector256Wide when Vector256.IsHardwareAccelerated && Fma.IsSupported => 8,
        _ => 0,
    };

    /// <summary>Computes columns [n0, n1) of C with <paramref name="kernel"/>'s vector width.</summary>
    public static void Run(in GemmArgs g, ManagedGemmKernel kernel, int n0, int n1)
    {
        if (Lanes(kernel) == 16) Run512(g, n0, n1);
        else Run256(g, n0, n1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run512(in GemmArgs g, int n0, int n1)
    {
        int j = n0;
        for (; j + 4 <= n1; j += 4)
        {
            int i = 0;
            for (; i + 4 <= g.M; i += 4) Tile4x4V512(g, i, j);
            for (; i < g.M; i++)
                for (int jj = j; jj < j + 4; jj++) Single512(g, i, jj);
        }
        for (; j < n1; j++)
            for (int i = 0; i < g.M; i++) Single512(g, i, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(in GemmArgs g, int i, int j, float dot)
    {
        float* c = g.C + (long)i * g.Ldc + j;
        *c = g.Beta == 0f ? g.Alpha * dot : g.Alpha * dot + g.Beta * *c;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Single512(in GemmArgs g, int i, int j)
    {
        float* a = g.A + (long)i * g.Lda, b = g.B + (long)j * g.Ldb;
        var acc = Vector512<float>.Zero;
        int p = 0;
        for (; p + 16 <= g.K; p += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + p), Vector512.Load(b + p), acc);
        float s = Vector512.Sum(acc);
        for (; p < g.K; p++) s += a[p] * b[p];
        Put(g, i, j, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4V512(in GemmArgs g, int i, int j)
    {
        int k = g.K;
        float* a0 = g.A + (long)i * g.Lda, a1 = a0 + g.Lda, a2 = a1 + g.Lda, a3 = a2 + g.Lda;
        float* b0 = g.B + (long)j * g.Ldb, b1 = b0 + g.Ldb, b2 = b1 + g.Ldb, b3 = b2 + g.Ldb;
        long ahead = 4L * g.Ldb; // the next quad of weight rows, at the same k
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            Sse.Prefetch0(b0 + ahead + p);
            Sse.Prefetch0(b1 + ahead + p);
            Sse.Prefetch0(b2 + ahead + p);
            Sse.Prefetch0(b3 + ahead + p);
            var x0 = Vector512.Load(a0 + p);
            var x1 = Vector512.Load(a1 + p);
            var x2 = Vector512.Load(a2 + p);
            var x3 = Vector512.Load(a3 + p);
            var y0 = Vector512.Load(b0 + p);
            c00 = Vector512.FusedMultiplyAdd(x0, y0, c00);
            c10 = Vector512.FusedMultiplyAdd(x1, y0, c10);
            c20 = Vector512.FusedMultiplyAdd(x2, y0, c20);
            c30 = Vector512.FusedMultiplyAdd(x3, y0, c30);
            var y1 = Vector512.Load(b1 + p);
            c01 = Vector512.FusedMultiplyAdd(x0, y1, c01);
            c11 = Vector512.FusedMultiplyAdd(x1, y1, c11);
            c21 = Vector512.FusedMultiplyAdd(x2, y1, c21);
            c31 = Vector512.FusedMultiplyAdd(x3, y1, c31);
            var y2 = Vector512.Load(b2 + p);
            c02 = Vector512.FusedMultiplyAdd(x0, y2, c02);
            c12 = Vector512.FusedMultiplyAdd(x1, y2, c12);
            c22 = Vector512.FusedMultiplyAdd(x2, y2, c22);
            c32 = Vector512.FusedMultiplyAdd(x3, y2, c32);
            var y3 = Vector512.Load(b3 + p);
            c03 = Vector512.FusedMultiplyAdd(x0, y3, c03);
            c13 = Vector512.FusedMultiplyAdd(x1, y3, c13);
            c23 = Vector512.FusedMultiplyAdd(x2, y3, c23);
            c33 = Vector512.FusedMultiplyAdd(x3, y3, c33);
        }
        float s00 = Vector512.Sum(c00);
        float s01 = Vector512.Sum(c01);
        float s02 = Vector512.Sum(c02);
        float s03 = Vector512.Sum(c03);
        float s10 = Vector512.Sum(c10);
        float s11 = Vector512.Sum(c11);
        float s12 = Vector512.Sum(c12);
        float s13 = Vector512.Sum(c13);
        float s20 = Vector512.Sum(c20);
        float s21 = Vector512.Sum(c21);
        float s22 = Vector512.Sum(c22);
        float s23 = Vector512.Sum(c23);
        float s30 = Vector512.Sum(c30);
        float s31 = Vector512.Sum(c31);
        float s32 = Vector512.Sum(c32);
        float s33 = Vector512.Sum(c33);
        for (; p < k; p++)
        {
            s00 += a0[p] * b0[p];
            s01 += a0[p] * b1[p];
            s02 += a0[p] * b2[p];
            s03 += a0[p] * b3[p];
            s10 += a1[p] * b0[p];
            s11 += a1[p] * b1[p];
            s12 += a1[p] * b2[p];
            s13 += a1[p] * b3[p];
            s20 += a2[p] * b0[p];
            s21 += a2[p] * b1[p];
            s22 += a2[p] * b2[p];
            s23 += a2[p] * b3[p];
            s30 += a3[p] * b0[p];
            s31 += a3[p] * b1[p];
            s32 += a3[p] * b2[p];
            s33 += a3[p] * b3[p];
        }
        Put(g, i + 0, j + 0, s00);
        Put(g, i + 0, j + 1, s01);
        Put(g, i + 0, j + 2, s02);
        Put(g, i + 0, j + 3, s03);
        Put(g, i + 1, j + 0, s10);
        Put(g, i + 1, j + 1, s11);
        Put(g, i + 1, j + 2, s12);
        Put(g, i + 1, j + 3, s13);
        Put(g, i + 2, j + 0, s20);
        Put(g, i + 2, j + 1, s21);
        Put(g, i + 2, j + 2, s22);
        Put(g, i + 2, j + 3, s23);
        Put(g, i + 3, j + 0, s30);
        Put(g, i + 3, j + 1, s31);
        Put(g, i + 3, j + 2, s32);
        Put(g, i + 3, j + 3, s33);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run256(in GemmArgs g, int n0, int n1)
    {
        int j = n0;
        for (; j + 2 <= n1; j += 2)
        {
            int i = 0;
            for (; i + 4 <= g.M; i += 4) Tile4x2V256(g, i, j);
            for (; i < g.M; i++)
            {
                Single256(g, i, j);
                Single256(g, i, j + 1);
            }
        }
        for (; j < n1; j++)
            for (int i = 0; i < g.M; i++) Single256(g, i, j);
    }

    /// <summary>One element with 8 lanes: the lane chains, their sum, the tail (the order the 4×2 tile keeps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Single256(in GemmArgs g, int i, int j)
    {
        float* a = g.A + (long)i * g.Lda, b = g.B + (long)j * g.Ldb;
        var acc = Vector256<float>.Zero;
        int p = 0;
        for (; p + 8 <= g.K; p += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + p), Vector256.Load(b + p), acc);
        float s = Vector256.Sum(acc);
        for (; p < g.K; p++) s += a[p] * b[p];
        Put(g, i, j, s);
    }

    /// <summary>
    /// C[i..i+4, j..j+2] with 8-lane chains (AVX2 has 16 vector registers: 8 accumulators, 4 rows of x, a weight row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x2V256(in GemmArgs g, int i, int j)
    {
        int k = g.K;
        float* a0 = g.A + (long)i * g.Lda, a1 = a0 + g.Lda, a2 = a1 + g.Lda, a3 = a2 + g.Lda;
        float* b0 = g.B + (long)j * g.Ldb, b1 = b0 + g.Ldb;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        long ahead = 2L * g.Ldb; // the next pair of weight rows, at the same k
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            if ((p & 15) == 0) // once per 64-byte line of each row
            {
                Sse.Prefetch0(b0 + ahead + p);
                Sse.Prefetch0(b1 + ahead + p);
            }
            var x0 = Vector256.Load(a0 + p);
            var x1 = Vector256.Load(a1 + p);
            var x2 = Vector256.Load(a2 + p);
            var x3 = Vector256.Load(a3 + p);
            var y0 = Vector256.Load(b0 + p);
            c00 = Vector256.FusedMultiplyAdd(x0, y0, c00);
            c10 = Vector256.FusedMultiplyAdd(x1, y0, c10);
            c20 = Vector256.FusedMultiplyAdd(x2, y0, c20);
            c30 = Vector256.FusedMultiplyAdd(x3, y0, c30);
            var y1 = Vector256.Load(b1 + p);
            c01 = Vector256.FusedMultiplyAdd(x0, y1, c01);
            c11 = Vector256.FusedMultiplyAdd(x1, y1, c11);
            c21 = Vector256.FusedMultiplyAdd(x2, y1, c21);
            c31 = Vector256.FusedMultiplyAdd(x3, y1, c31);
        }
        float s00 = Vector256.Sum(c00), s01 = Vector256.Sum(c01), s10 = Vector256.Sum(c10), s11 = Vector256.Sum(c11);
        float s20 = Vector256.Sum(c20), s21 = Vector256.Sum(c21), s30 = Vector256.Sum(c30), s31 = Vector256.Sum(c31);
        for (; p < k; p++)
        {
            s00 += a0[p] * b0[p];
            s01 += a0[p] * b1[p];
            s10 += a1[p] * b0[p];
            s11 += a1[p] * b1[p];
            s20 += a2[p] * b0[p];
            s21 += a2[p] * b1[p];
            s30 += a3[p] * b0[p];
            s31 += a3[p] * b1[p];
        }
        Put(g, i, j, s00);
        Put(g, i, j + 1, s01);
        Put(g, i + 1, j, s10);
        Put(g, i + 1, j + 1, s11);
        Put(g, i + 2, j, s20);
        Put(g, i + 2, j + 1, s21);
        Put(g, i + 3, j, s30);
        Put(g, i + 3, j + 1, s31);
    }
}
