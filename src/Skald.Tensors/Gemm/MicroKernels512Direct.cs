using System.Runtime.Intrinsics;

namespace Skald.Tensors.Gemm;

internal static unsafe partial class MicroKernels
{
    /// <summary>
    /// <see cref="Kernel12x32V512"/> with A read in place: A row r is a + r·lda (row-major, 12 whole rows, alpha 1), so
    /// no packed A panel is needed. Each C element gets the same FMA chain in the same k order as the packed kernel, so
    /// the bits are the same. Rows 0–3, 4–7 and 8–11 are addressed from three base pointers with strides lda, 2·lda and
    /// 3·lda (base + index·4 addressing, no per-row pointer). With a <paramref name="bias"/> row (32 values) every row
    /// of C is stored as bias + sum and beta is ignored: the same bits as filling C with the bias and running with beta 1,
    /// without writing and reading the tile twice.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Kernel12x32V512Direct(int kc, float* a, nint lda, float* b, float* c, int ldc, float beta, float* bias)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        nint l1 = lda, l2 = 2 * lda, l3 = 3 * lda;
        float* a0 = a, a4 = a + 4 * lda, a8 = a + 8 * lda;
        float* end = a + kc;
        for (; a0 < end; a0++, a4++, a8++, b += 32)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> av;
            av = Vector512.Create(a0[0]);
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
        if (bias != null)
        {
            var lo = Vector512.Load(bias);
            var hi = Vector512.Load(bias + 16);
            StoreBias(c, lo, hi, c00, c01);
            StoreBias(c + ldc, lo, hi, c10, c11);
            StoreBias(c + 2 * ldc, lo, hi, c20, c21);
            StoreBias(c + 3 * ldc, lo, hi, c30, c31);
            StoreBias(c + 4 * ldc, lo, hi, c40, c41);
            StoreBias(c + 5 * ldc, lo, hi, c50, c51);
            StoreBias(c + 6 * ldc, lo, hi, c60, c61);
            StoreBias(c + 7 * ldc, lo, hi, c70, c71);
            StoreBias(c + 8 * ldc, lo, hi, c80, c81);
            StoreBias(c + 9 * ldc, lo, hi, c90, c91);
            StoreBias(c + 10 * ldc, lo, hi, c100, c101);
            StoreBias(c + 11 * ldc, lo, hi, c110, c111);
            return;
        }
        Store(c, beta, c00, c01);
        Store(c + ldc, beta, c10, c11);
        Store(c + 2 * ldc, beta, c20, c21);
        Store(c + 3 * ldc, beta, c30, c31);
        Store(c + 4 * ldc, beta, c40, c41);
        Store(c + 5 * ldc, beta, c50, c51);
        Store(c + 6 * ldc, beta, c60, c61);
        Store(c + 7 * ldc, beta, c70, c71);
        Store(c + 8 * ldc, beta, c80, c81);
        Store(c + 9 * ldc, beta, c90, c91);
        Store(c + 10 * ldc, beta, c100, c101);
        Store(c + 11 * ldc, beta, c110, c111);
    }

    /// <summary>One row of the tile stored as the bias row plus its sums (<c>C + sum</c> with C holding the bias: same bits).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void StoreBias(float* c, Vector512<float> biasLo, Vector512<float> biasHi, Vector512<float> lo, Vector512<float> hi)
    {
        (biasLo + lo).Store(c);
        (biasHi + hi).Store(c + 16);
    }

    /// <summary>
    /// Scalar twin of <see cref="Kernel12x32V512Direct"/>: per C element one fused multiply-add chain in k order from 0,
    /// then beta·C added as the vector store does (beta 0: stored; 1: C + sum; else fma(beta, C, sum)), or with a bias row
    /// bias[j] + sum. Same bits.
    /// </summary>
    public static void Kernel12x32DirectScalar(int kc, float* a, nint lda, float* b, float* c, int ldc, float beta, float* bias)
    {
        for (int r = 0; r < MR512; r++)
        {
            for (int j = 0; j < 32; j++)
            {
                float sum = 0f;
                for (int p = 0; p < kc; p++) sum = MathF.FusedMultiplyAdd(a[r * lda + p], b[p * 32 + j], sum);
                float* cj = c + (long)r * ldc + j;
                *cj = bias != null ? bias[j] + sum : beta == 0f ? sum : beta == 1f ? *cj + sum : MathF.FusedMultiplyAdd(beta, *cj, sum);
            }
        }
    }
}
