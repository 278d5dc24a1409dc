using System.Runtime.Intrinsics;

namespace Skald.Tensors.Gemm;

internal static unsafe partial class MicroKernels
{
    /// <summary>Rows of the AVX-512 tile.</summary>
    public const int MR512 = 12;

    /// <summary>12×32 tile with 24 Vector512 accumulators (AVX-512 has 32 registers; 2 hold B, 1 the broadcast).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Kernel12x32V512(int kc, float* a, float* b, float* c, int ldc, float beta)
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
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> av;
            av = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(av, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(av, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            av = Vector512.Create(a[8]);
            c80 = Vector512.FusedMultiplyAdd(av, b0, c80);
            c81 = Vector512.FusedMultiplyAdd(av, b1, c81);
            av = Vector512.Create(a[9]);
            c90 = Vector512.FusedMultiplyAdd(av, b0, c90);
            c91 = Vector512.FusedMultiplyAdd(av, b1, c91);
            av = Vector512.Create(a[10]);
            c100 = Vector512.FusedMultiplyAdd(av, b0, c100);
            c101 = Vector512.FusedMultiplyAdd(av, b1, c101);
            av = Vector512.Create(a[11]);
            c110 = Vector512.FusedMultiplyAdd(av, b0, c110);
            c111 = Vector512.FusedMultiplyAdd(av, b1, c111);
            a += 12;
            b += 32;
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
}
