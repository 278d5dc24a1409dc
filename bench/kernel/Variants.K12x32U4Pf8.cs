using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Bench.Kernel;

/// <summary>Bench-only tile variant (generated; the same FMA chain per C element as the production tile).</summary>
internal static unsafe partial class Variants
{
    /// <summary>12x32, k unrolled by 4, B prefetched 8 k steps ahead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void K12x32U4Pf8(int kc, float* a, nint lda, float* b, float* c, int ldc, float beta, float* bias)
    {
        Vector512<float> c0_0 = default, c0_1 = default;
        Vector512<float> c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default;
        Vector512<float> c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default;
        Vector512<float> c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default;
        Vector512<float> c7_0 = default, c7_1 = default;
        Vector512<float> c8_0 = default, c8_1 = default;
        Vector512<float> c9_0 = default, c9_1 = default;
        Vector512<float> c10_0 = default, c10_1 = default;
        Vector512<float> c11_0 = default, c11_1 = default;
        nint l1 = lda, l2 = 2 * lda, l3 = 3 * lda;
        float* a0 = a, a4 = a + 4 * lda, a8 = a + 8 * lda;
        float* end = a + kc;
        Vector512<float> av;
        float* endU = a + (kc & ~3);
        for (; a0 < endU; a0 += 4, a4 += 4, a8 += 4, b += 128)
        {
            {
                var b0 = Vector512.Load(b + 0);
                var b1 = Vector512.Load(b + 16);
                Sse.Prefetch0(b + 256);
                Sse.Prefetch0(b + 272);
                av = Vector512.Create(a0[0]);
                c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
                c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1);
                av = Vector512.Create(a0[l1 + 0]);
                c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
                c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1);
                av = Vector512.Create(a0[l2 + 0]);
                c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
                c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1);
                av = Vector512.Create(a0[l3 + 0]);
                c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
                c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1);
                av = Vector512.Create(a4[0]);
                c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
                c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1);
                av = Vector512.Create(a4[l1 + 0]);
                c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
                c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1);
                av = Vector512.Create(a4[l2 + 0]);
                c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0);
                c6_1 = Vector512.FusedMultiplyAdd(av, b1, c6_1);
                av = Vector512.Create(a4[l3 + 0]);
                c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0);
                c7_1 = Vector512.FusedMultiplyAdd(av, b1, c7_1);
                av = Vector512.Create(a8[0]);
                c8_0 = Vector512.FusedMultiplyAdd(av, b0, c8_0);
                c8_1 = Vector512.FusedMultiplyAdd(av, b1, c8_1);
                av = Vector512.Create(a8[l1 + 0]);
                c9_0 = Vector512.FusedMultiplyAdd(av, b0, c9_0);
                c9_1 = Vector512.FusedMultiplyAdd(av, b1, c9_1);
                av = Vector512.Create(a8[l2 + 0]);
                c10_0 = Vector512.FusedMultiplyAdd(av, b0, c10_0);
                c10_1 = Vector512.FusedMultiplyAdd(av, b1, c10_1);
                av = Vector512.Create(a8[l3 + 0]);
                c11_0 = Vector512.FusedMultiplyAdd(av, b0, c11_0);
                c11_1 = Vector512.FusedMultiplyAdd(av, b1, c11_1);
            }
            {
                var b0 = Vector512.Load(b + 32);
                var b1 = Vector512.Load(b + 48);
                Sse.Prefetch0(b + 288);
                Sse.Prefetch0(b + 304);
                av = Vector512.Create(a0[1]);
                c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
                c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1);
                av = Vector512.Create(a0[l1 + 1]);
                c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
                c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1);
                av = Vector512.Create(a0[l2 + 1]);
                c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
                c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1);
                av = Vector512.Create(a0[l3 + 1]);
                c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
                c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1);
                av = Vector512.Create(a4[1]);
                c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
                c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1);
                av = Vector512.Create(a4[l1 + 1]);
                c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
                c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1);
                av = Vector512.Create(a4[l2 + 1]);
                c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0);
                c6_1 = Vector512.FusedMultiplyAdd(av, b1, c6_1);
                av = Vector512.Create(a4[l3 + 1]);
                c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0);
                c7_1 = Vector512.FusedMultiplyAdd(av, b1, c7_1);
                av = Vector512.Create(a8[1]);
                c8_0 = Vector512.FusedMultiplyAdd(av, b0, c8_0);
                c8_1 = Vector512.FusedMultiplyAdd(av, b1, c8_1);
                av = Vector512.Create(a8[l1 + 1]);
                c9_0 = Vector512.FusedMultiplyAdd(av, b0, c9_0);
                c9_1 = Vector512.FusedMultiplyAdd(av, b1, c9_1);
                av = Vector512.Create(a8[l2 + 1]);
                c10_0 = Vector512.FusedMultiplyAdd(av, b0, c10_0);
                c10_1 = Vector512.FusedMultiplyAdd(av, b1, c10_1);
                av = Vector512.Create(a8[l3 + 1]);
                c11_0 = Vector512.FusedMultiplyAdd(av, b0, c11_0);
                c11_1 = Vector512.FusedMultiplyAdd(av, b1, c11_1);
            }
            {
                var b0 = Vector512.Load(b + 64);
                var b1 = Vector512.Load(b + 80);
                Sse.Prefetch0(b + 320);
                Sse.Prefetch0(b + 336);
                av = Vector512.Create(a0[2]);
                c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
                c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1);
                av = Vector512.Create(a0[l1 + 2]);
                c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
                c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1);
                av = Vector512.Create(a0[l2 + 2]);
                c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
                c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1);
                av = Vector512.Create(a0[l3 + 2]);
                c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
                c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1);
                av = Vector512.Create(a4[2]);
                c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
                c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1);
                av = Vector512.Create(a4[l1 + 2]);
                c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
                c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1);
                av = Vector512.Create(a4[l2 + 2]);
                c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0);
                c6_1 = Vector512.FusedMultiplyAdd(av, b1, c6_1);
                av = Vector512.Create(a4[l3 + 2]);
                c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0);
                c7_1 = Vector512.FusedMultiplyAdd(av, b1, c7_1);
                av = Vector512.Create(a8[2]);
                c8_0 = Vector512.FusedMultiplyAdd(av, b0, c8_0);
                c8_1 = Vector512.FusedMultiplyAdd(av, b1, c8_1);
                av = Vector512.Create(a8[l1 + 2]);
                c9_0 = Vector512.FusedMultiplyAdd(av, b0, c9_0);
                c9_1 = Vector512.FusedMultiplyAdd(av, b1, c9_1);
                av = Vector512.Create(a8[l2 + 2]);
                c10_0 = Vector512.FusedMultiplyAdd(av, b0, c10_0);
                c10_1 = Vector512.FusedMultiplyAdd(av, b1, c10_1);
                av = Vector512.Create(a8[l3 + 2]);
                c11_0 = Vector512.FusedMultiplyAdd(av, b0, c11_0);
                c11_1 = Vector512.FusedMultiplyAdd(av, b1, c11_1);
            }
            {
                var b0 = Vector512.Load(b + 96);
                var b1 = Vector512.Load(b + 112);
                Sse.Prefetch0(b + 352);
                Sse.Prefetch0(b + 368);
                av = Vector512.Create(a0[3]);
                c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
                c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1);
                av = Vector512.Create(a0[l1 + 3]);
                c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
                c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1);
                av = Vector512.Create(a0[l2 + 3]);
                c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
                c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1);
                av = Vector512.Create(a0[l3 + 3]);
                c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
                c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1);
                av = Vector512.Create(a4[3]);
                c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
                c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1);
                av = Vector512.Create(a4[l1 + 3]);
                c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
                c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1);
                av = Vector512.Create(a4[l2 + 3]);
                c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0);
                c6_1 = Vector512.FusedMultiplyAdd(av, b1, c6_1);
                av = Vector512.Create(a4[l3 + 3]);
                c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0);
                c7_1 = Vector512.FusedMultiplyAdd(av, b1, c7_1);
                av = Vector512.Create(a8[3]);
                c8_0 = Vector512.FusedMultiplyAdd(av, b0, c8_0);
                c8_1 = Vector512.FusedMultiplyAdd(av, b1, c8_1);
                av = Vector512.Create(a8[l1 + 3]);
                c9_0 = Vector512.FusedMultiplyAdd(av, b0, c9_0);
                c9_1 = Vector512.FusedMultiplyAdd(av, b1, c9_1);
                av = Vector512.Create(a8[l2 + 3]);
                c10_0 = Vector512.FusedMultiplyAdd(av, b0, c10_0);
                c10_1 = Vector512.FusedMultiplyAdd(av, b1, c10_1);
                av = Vector512.Create(a8[l3 + 3]);
                c11_0 = Vector512.FusedMultiplyAdd(av, b0, c11_0);
                c11_1 = Vector512.FusedMultiplyAdd(av, b1, c11_1);
            }
        }
        for (; a0 < end; a0 += 1, a4 += 1, a8 += 1, b += 32)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            Sse.Prefetch0(b + 256);
            Sse.Prefetch0(b + 272);
            av = Vector512.Create(a0[0]);
            c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
            c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1);
            av = Vector512.Create(a0[l1 + 0]);
            c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
            c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1);
            av = Vector512.Create(a0[l2 + 0]);
            c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
            c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1);
            av = Vector512.Create(a0[l3 + 0]);
            c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
            c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1);
            av = Vector512.Create(a4[0]);
            c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
            c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1);
            av = Vector512.Create(a4[l1 + 0]);
            c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
            c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1);
            av = Vector512.Create(a4[l2 + 0]);
            c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0);
            c6_1 = Vector512.FusedMultiplyAdd(av, b1, c6_1);
            av = Vector512.Create(a4[l3 + 0]);
            c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0);
            c7_1 = Vector512.FusedMultiplyAdd(av, b1, c7_1);
            av = Vector512.Create(a8[0]);
            c8_0 = Vector512.FusedMultiplyAdd(av, b0, c8_0);
            c8_1 = Vector512.FusedMultiplyAdd(av, b1, c8_1);
            av = Vector512.Create(a8[l1 + 0]);
            c9_0 = Vector512.FusedMultiplyAdd(av, b0, c9_0);
            c9_1 = Vector512.FusedMultiplyAdd(av, b1, c9_1);
            av = Vector512.Create(a8[l2 + 0]);
            c10_0 = Vector512.FusedMultiplyAdd(av, b0, c10_0);
            c10_1 = Vector512.FusedMultiplyAdd(av, b1, c10_1);
            av = Vector512.Create(a8[l3 + 0]);
            c11_0 = Vector512.FusedMultiplyAdd(av, b0, c11_0);
            c11_1 = Vector512.FusedMultiplyAdd(av, b1, c11_1);
        }
        Store(c + 0 * ldc, beta, c0_0, c0_1);
        Store(c + 1 * ldc, beta, c1_0, c1_1);
        Store(c + 2 * ldc, beta, c2_0, c2_1);
        Store(c + 3 * ldc, beta, c3_0, c3_1);
        Store(c + 4 * ldc, beta, c4_0, c4_1);
        Store(c + 5 * ldc, beta, c5_0, c5_1);
        Store(c + 6 * ldc, beta, c6_0, c6_1);
        Store(c + 7 * ldc, beta, c7_0, c7_1);
        Store(c + 8 * ldc, beta, c8_0, c8_1);
        Store(c + 9 * ldc, beta, c9_0, c9_1);
        Store(c + 10 * ldc, beta, c10_0, c10_1);
        Store(c + 11 * ldc, beta, c11_0, c11_1);
    }
}
