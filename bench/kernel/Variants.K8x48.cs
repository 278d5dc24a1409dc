using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Bench.Kernel;

/// <summary>Bench-only tile variant (generated; the same FMA chain per C element as the production tile).</summary>
internal static unsafe partial class Variants
{
    /// <summary>8x48: 24 accumulators, 3 B vectors (48-wide panels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void K8x48(int kc, float* a, nint lda, float* b, float* c, int ldc, float beta, float* bias)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c4_2 = default;
        Vector512<float> c5_0 = default, c5_1 = default, c5_2 = default;
        Vector512<float> c6_0 = default, c6_1 = default, c6_2 = default;
        Vector512<float> c7_0 = default, c7_1 = default, c7_2 = default;
        nint l1 = lda, l2 = 2 * lda, l3 = 3 * lda;
        float* a0 = a, a4 = a + 4 * lda;
        float* end = a + kc;
        Vector512<float> av;
        for (; a0 < end; a0 += 1, a4 += 1, b += 48)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var b2 = Vector512.Load(b + 32);
            av = Vector512.Create(a0[0]);
            c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
            c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1);
            c0_2 = Vector512.FusedMultiplyAdd(av, b2, c0_2);
            av = Vector512.Create(a0[l1 + 0]);
            c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
            c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1);
            c1_2 = Vector512.FusedMultiplyAdd(av, b2, c1_2);
            av = Vector512.Create(a0[l2 + 0]);
            c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
            c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1);
            c2_2 = Vector512.FusedMultiplyAdd(av, b2, c2_2);
            av = Vector512.Create(a0[l3 + 0]);
            c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
            c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1);
            c3_2 = Vector512.FusedMultiplyAdd(av, b2, c3_2);
            av = Vector512.Create(a4[0]);
            c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
            c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1);
            c4_2 = Vector512.FusedMultiplyAdd(av, b2, c4_2);
            av = Vector512.Create(a4[l1 + 0]);
            c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
            c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1);
            c5_2 = Vector512.FusedMultiplyAdd(av, b2, c5_2);
            av = Vector512.Create(a4[l2 + 0]);
            c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0);
            c6_1 = Vector512.FusedMultiplyAdd(av, b1, c6_1);
            c6_2 = Vector512.FusedMultiplyAdd(av, b2, c6_2);
            av = Vector512.Create(a4[l3 + 0]);
            c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0);
            c7_1 = Vector512.FusedMultiplyAdd(av, b1, c7_1);
            c7_2 = Vector512.FusedMultiplyAdd(av, b2, c7_2);
        }
        Store(c + 0 * ldc, beta, c0_0, c0_1, c0_2);
        Store(c + 1 * ldc, beta, c1_0, c1_1, c1_2);
        Store(c + 2 * ldc, beta, c2_0, c2_1, c2_2);
        Store(c + 3 * ldc, beta, c3_0, c3_1, c3_2);
        Store(c + 4 * ldc, beta, c4_0, c4_1, c4_2);
        Store(c + 5 * ldc, beta, c5_0, c5_1, c5_2);
        Store(c + 6 * ldc, beta, c6_0, c6_1, c6_2);
        Store(c + 7 * ldc, beta, c7_0, c7_1, c7_2);
    }
}
