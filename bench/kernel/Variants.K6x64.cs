using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Bench.Kernel;

/// <summary>Bench-only tile variant (generated; the same FMA chain per C element as the production tile).</summary>
internal static unsafe partial class Variants
{
    /// <summary>6x64: 24 accumulators, 4 B vectors (64-wide panels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void K6x64(int kc, float* a, nint lda, float* b, float* c, int ldc, float beta, float* bias)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default, c0_3 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default, c1_3 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default, c2_3 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default, c3_3 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c4_2 = default, c4_3 = default;
        Vector512<float> c5_0 = default, c5_1 = default, c5_2 = default, c5_3 = default;
        nint l1 = lda, l2 = 2 * lda, l3 = 3 * lda;
        float* a0 = a, a4 = a + 4 * lda;
        float* end = a + kc;
        Vector512<float> av;
        for (; a0 < end; a0 += 1, a4 += 1, b += 64)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var b2 = Vector512.Load(b + 32);
            var b3 = Vector512.Load(b + 48);
            av = Vector512.Create(a0[0]);
            c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
            c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1);
            c0_2 = Vector512.FusedMultiplyAdd(av, b2, c0_2);
            c0_3 = Vector512.FusedMultiplyAdd(av, b3, c0_3);
            av = Vector512.Create(a0[l1 + 0]);
            c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
            c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1);
            c1_2 = Vector512.FusedMultiplyAdd(av, b2, c1_2);
            c1_3 = Vector512.FusedMultiplyAdd(av, b3, c1_3);
            av = Vector512.Create(a0[l2 + 0]);
            c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
            c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1);
            c2_2 = Vector512.FusedMultiplyAdd(av, b2, c2_2);
            c2_3 = Vector512.FusedMultiplyAdd(av, b3, c2_3);
            av = Vector512.Create(a0[l3 + 0]);
            c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
            c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1);
            c3_2 = Vector512.FusedMultiplyAdd(av, b2, c3_2);
            c3_3 = Vector512.FusedMultiplyAdd(av, b3, c3_3);
            av = Vector512.Create(a4[0]);
            c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
            c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1);
            c4_2 = Vector512.FusedMultiplyAdd(av, b2, c4_2);
            c4_3 = Vector512.FusedMultiplyAdd(av, b3, c4_3);
            av = Vector512.Create(a4[l1 + 0]);
            c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
            c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1);
            c5_2 = Vector512.FusedMultiplyAdd(av, b2, c5_2);
            c5_3 = Vector512.FusedMultiplyAdd(av, b3, c5_3);
        }
        Store(c + 0 * ldc, beta, c0_0, c0_1, c0_2, c0_3);
        Store(c + 1 * ldc, beta, c1_0, c1_1, c1_2, c1_3);
        Store(c + 2 * ldc, beta, c2_0, c2_1, c2_2, c2_3);
        Store(c + 3 * ldc, beta, c3_0, c3_1, c3_2, c3_3);
        Store(c + 4 * ldc, beta, c4_0, c4_1, c4_2, c4_3);
        Store(c + 5 * ldc, beta, c5_0, c5_1, c5_2, c5_3);
    }
}
