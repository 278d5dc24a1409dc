using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Gemm;

internal static unsafe partial class MicroKernels
{
    /// <summary>Rows of the 4×24 Vector256 tile.</summary>
    public const int MR4 = 4;

    /// <summary>
    /// 4×24 tile with 12 Vector256 accumulators, 3 B vectors and 1 broadcast: the 16 YMM registers of AVX2. Fits token
    /// counts (multiples of 4) and widths (multiples of 24: 384, 768, 1536, 3072) without edge tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel4x24V256(int kc, float* a, float* b, float* c, int ldc, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            // Unrolled by 4 (fewer loop branches); each accumulator still takes its FMAs in k order.
            Step(a, b, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);
            Step(a + 4, b + 24, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);
            Step(a + 8, b + 48, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);
            Step(a + 12, b + 72, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);
            a += 4 * MR4;
            b += 4 * 24;
        }
        for (; p < kc; p++)
        {
            Step(a, b, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);
            a += MR4;
            b += 24;
        }
        Store(c, beta, c00, c01);
        Store(c + 16, beta, c02);
        Store(c + ldc, beta, c10, c11);
        Store(c + ldc + 16, beta, c12);
        Store(c + 2 * ldc, beta, c20, c21);
        Store(c + 2 * ldc + 16, beta, c22);
        Store(c + 3 * ldc, beta, c30, c31);
        Store(c + 3 * ldc + 16, beta, c32);
    }

    /// <summary>One k step of the 4×24 tile: 3 B vectors, 4 broadcasts, 12 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(float* a, float* b,
        ref Vector256<float> c00, ref Vector256<float> c01, ref Vector256<float> c02,
        ref Vector256<float> c10, ref Vector256<float> c11, ref Vector256<float> c12,
        ref Vector256<float> c20, ref Vector256<float> c21, ref Vector256<float> c22,
        ref Vector256<float> c30, ref Vector256<float> c31, ref Vector256<float> c32)
    {
        var b0 = Vector256.Load(b);
        var b1 = Vector256.Load(b + 8);
        var b2 = Vector256.Load(b + 16);
        var av = Vector256.Create(a[0]);
        c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
        c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
        c02 = Vector256.FusedMultiplyAdd(av, b2, c02);
        av = Vector256.Create(a[1]);
        c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
        c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
        c12 = Vector256.FusedMultiplyAdd(av, b2, c12);
        av = Vector256.Create(a[2]);
        c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
        c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
        c22 = Vector256.FusedMultiplyAdd(av, b2, c22);
        av = Vector256.Create(a[3]);
        c30 = Vector256.FusedMultiplyAdd(av, b0, c30);
        c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
        c32 = Vector256.FusedMultiplyAdd(av, b2, c32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float beta, Vector256<float> v)
    {
        if (beta == 0f) v.Store(c);
        else if (beta == 1f) (Vector256.Load(c) + v).Store(c);
        else Vector256.FusedMultiplyAdd(Vector256.Create(beta), Vector256.Load(c), v).Store(c);
    }
}
