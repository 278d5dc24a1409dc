using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Gemm;

internal static unsafe partial class GemmDriver
{
    /// <summary>
    /// <see cref="PackB"/> for a 16-bit B (<see cref="GemmArgs.B16"/>, bfloat16 or, with <see cref="GemmArgs.B16Half"/>,
    /// float16): the same panels, each value widened to float32 (exact) as it is packed. Transposed B (x·Wᵀ, the Linear layer) goes through 8×8 AVX2 widening
    /// transposes; the rest is scalar, the twin being <see cref="ReferenceGemm.SgemmBf16"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB16(in GemmArgs g, int p0, int kc, int j0, int nc, float* dst, int nr)
    {
        for (int jr = 0; jr < nc; jr += nr, dst += (long)nr * kc)
        {
            int cols = Math.Min(nr, nc - jr);
            if (!g.TransB)
            {
                // B[p, j] = b[p·ldb + j]: contiguous rows, widened a row at a time.
                for (int p = 0; p < kc; p++)
                {
                    ushort* src = g.B16 + (long)(p0 + p) * g.Ldb + j0 + jr;
                    float* d = dst + p * nr;
                    if (g.B16Half) F16.ToSingle(new ReadOnlySpan<ushort>(src, cols), new Span<float>(d, cols));
                    else Bf16.ToSingle(new ReadOnlySpan<ushort>(src, cols), new Span<float>(d, cols));
                    for (int j = cols; j < nr; j++) d[j] = 0f;
                }
                continue;
            }
            // B[p, j] = b[j·ldb + p]
            int j8 = 0;
            if (Avx2.IsSupported)
            {
                int kc8 = kc & ~7;
                for (; j8 + 8 <= cols; j8 += 8)
                {
                    ushort* src = g.B16 + (long)(j0 + jr + j8) * g.Ldb + p0;
                    for (int p = 0; p < kc8; p += 8)
                    {
                        if (g.B16Half) Transpose8x8F16(src + p, g.Ldb, dst + p * nr + j8, nr);
                        else Transpose8x8Bf16(src + p, g.Ldb, dst + p * nr + j8, nr);
                    }
                    for (int j = j8; j < j8 + 8; j++)
                    {
                        ushort* s = g.B16 + (long)(j0 + jr + j) * g.Ldb + p0;
                        for (int p = kc8; p < kc; p++) dst[p * nr + j] = Widen(g.B16Half, s[p]);
                    }
                }
            }
            for (int j = j8; j < cols; j++)
            {
                ushort* src = g.B16 + (long)(j0 + jr + j) * g.Ldb + p0;
                float* d = dst + j;
                for (int p = 0; p < kc; p++) d[p * nr] = Widen(g.B16Half, src[p]);
            }
            if (cols < nr)
            {
                for (int p = 0; p < kc; p++)
                    for (int j = cols; j < nr; j++) dst[p * nr + j] = 0f;
            }
        }
    }

    /// <summary>dst[p·ldd + j] = float(src[j·lds + p]) for an 8×8 block of bfloat16 (AVX2 widen, then transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8Bf16(ushort* src, int lds, float* dst, int ldd) =>
        StoreTransposed(Widen(src), Widen(src + lds), Widen(src + 2 * lds), Widen(src + 3 * lds), Widen(src + 4 * lds),
            Widen(src + 5 * lds), Widen(src + 6 * lds), Widen(src + 7 * lds), dst, ldd);

    /// <summary>dst[p·ldd + j] = float(src[j·lds + p]) for an 8×8 block of float16 (AVX2 widen, then transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8F16(ushort* src, int lds, float* dst, int ldd) =>
        StoreTransposed(WidenHalf(src), WidenHalf(src + lds), WidenHalf(src + 2 * lds), WidenHalf(src + 3 * lds),
            WidenHalf(src + 4 * lds), WidenHalf(src + 5 * lds), WidenHalf(src + 6 * lds), WidenHalf(src + 7 * lds), dst, ldd);

    /// <summary>8 float16 → 8 float32: zero-extend to 32 bits, then <see cref="F16.Widen(Vector256{uint})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WidenHalf(ushort* src) =>
        F16.Widen(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(src)).AsUInt32());

    /// <summary>One 16-bit value of either format as float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Widen(bool half, ushort bits) => half ? F16.ToSingle(bits) : Bf16.ToSingle(bits);

    /// <summary>8 bfloat16 → 8 float32: zero-extend to 32 bits, shift into the upper half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen(ushort* src) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(src)), 16).AsSingle();
}
