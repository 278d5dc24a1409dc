using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Gemm;

/// <summary>
/// Unpacked path for few rows times a transposed B (x[m, k] · W[n, k]ᵀ with small m, e.g. one query through a Linear
/// layer): both operands are contiguous along k, so 4×4 tiles of Vector512 dot products run straight off the stored
/// rows, and the weight matrix is streamed once instead of being packed (packing would cost more than the product).
/// </summary>
internal static unsafe class DotGemm
{
    /// <summary>Largest m routed here (measured: clearly faster at m = 16, a wash at 32, slower at 64).</summary>
    public const int MaxRows = 16;

    public static bool Applicable(in GemmArgs g) =>
        !g.TransA && g.TransB && g.B16 == null && g.M <= MaxRows && g.K >= 64 && g.Alpha != 0f && Vector512.IsHardwareAccelerated;

    /// <summary>Computes columns [n0, n1) of C.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Run(in GemmArgs g, int n0, int n1)
    {
        int j = n0;
        for (; j + 4 <= n1; j += 4)
        {
            int i = 0;
            for (; i + 4 <= g.M; i += 4) Tile4x4(g, i, j);
            for (; i < g.M; i++)
                for (int jj = j; jj < j + 4; jj++) Single(g, i, jj);
        }
        for (; j < n1; j++)
            for (int i = 0; i < g.M; i++) Single(g, i, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(in GemmArgs g, int i, int j, float dot)
    {
        float* c = g.C + (long)i * g.Ldc + j;
        *c = g.Beta == 0f ? g.Alpha * dot : g.Alpha * dot + g.Beta * *c;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Single(in GemmArgs g, int i, int j)
    {
        float* a = g.A + (long)i * g.Lda, b = g.B + (long)j * g.Ldb;
        var acc = Vector512<float>.Zero;
        int p = 0;
        for (; p + 16 <= g.K; p += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + p), Vector512.Load(b + p), acc);
        float s = Vector512.Sum(acc);
        for (; p < g.K; p++) s += a[p] * b[p];
        Put(g, i, j, s);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(in GemmArgs g, int i, int j)
    {
        int k = g.K;
        float* a0 = g.A + (long)i * g.Lda, a1 = a0 + g.Lda, a2 = a1 + g.Lda, a3 = a2 + g.Lda;
        float* b0 = g.B + (long)j * g.Ldb, b1 = b0 + g.Ldb, b2 = b1 + g.Ldb, b3 = b2 + g.Ldb;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
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
}
