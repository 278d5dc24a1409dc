using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Gemm;

internal static unsafe partial class GemmDriver
{
    /// <summary>Packs alpha·op(A)[i0.., p0..] (mc×kc) into MR-row micro-panels laid out [kc][MR], zero-padded.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void PackA(in GemmArgs g, int i0, int mc, int p0, int kc, float* dst, int mr)
    {
        if (g.TransA && mc >= 2 * mr && (mr & 3) == 0 && Vector128.IsHardwareAccelerated)
        {
            PackATransRows(g, i0, mc, p0, kc, dst, mr);
            return;
        }
        float alpha = g.Alpha;
        for (int ir = 0; ir < mc; ir += mr, dst += (long)mr * kc)
        {
            int rows = Math.Min(mr, mc - ir);
            if (!g.TransA)
            {
                // A[i, p] = a[i·lda + p]: a full 4-row panel by 4×8 AVX transposes, else 8-row groups by 8×8 AVX
                // transposes, remaining rows scalar.
                int r8 = 0;
                if (Avx.IsSupported && mr == 4 && rows == 4)
                {
                    float* src = g.A + (long)(i0 + ir) * g.Lda + p0;
                    int kc8 = kc & ~7;
                    for (int p = 0; p < kc8; p += 8) Transpose4x8(src + p, g.Lda, dst + p * 4, alpha);
                    for (int r = 0; r < 4; r++)
                        for (int p = kc8; p < kc; p++) dst[p * 4 + r] = alpha * src[(long)r * g.Lda + p];
                    continue;
                }
                if (Avx.IsSupported)
                {
                    int kc8 = kc & ~7;
                    for (; r8 + 8 <= rows; r8 += 8)
                    {
                        float* src = g.A + (long)(i0 + ir + r8) * g.Lda + p0;
                        for (int p = 0; p < kc8; p += 8) Transpose8x8(src + p, g.Lda, dst + p * mr + r8, mr, alpha);
                        for (int r = r8; r < r8 + 8; r++)
                        {
                            float* s = g.A + (long)(i0 + ir + r) * g.Lda + p0;
                            for (int p = kc8; p < kc; p++) dst[p * mr + r] = alpha * s[p];
                        }
                    }
                    // A 4-row group left (the 12-row AVX-512 panel: rows 8..11) by 4×8 transposes into the panel.
                    if (r8 + 4 <= rows)
                    {
                        float* src = g.A + (long)(i0 + ir + r8) * g.Lda + p0;
                        for (int p = 0; p < kc8; p += 8) Transpose4x8(src + p, g.Lda, dst + p * mr + r8, mr, alpha);
                        for (int r = r8; r < r8 + 4; r++)
                        {
                            float* s = g.A + (long)(i0 + ir + r) * g.Lda + p0;
                            for (int p = kc8; p < kc; p++) dst[p * mr + r] = alpha * s[p];
                        }
                        r8 += 4;
                    }
                }
                for (int r = r8; r < rows; r++)
                {
                    float* src = g.A + (long)(i0 + ir + r) * g.Lda + p0;
                    float* d = dst + r;
                    if (alpha == 1f)
                        for (int p = 0; p < kc; p++) d[p * mr] = src[p];
                    else
                        for (int p = 0; p < kc; p++) d[p * mr] = alpha * src[p];
                }
            }
            else
            {
                // A[i, p] = a[p·lda + i]: each p contributes MR contiguous values (whole panels 4 lanes at a time).
                if (rows == mr && (mr & 3) == 0 && Vector128.IsHardwareAccelerated)
                {
                    var av = Vector128.Create(alpha);
                    for (int p = 0; p < kc; p++)
                    {
                        float* src = g.A + (long)(p0 + p) * g.Lda + i0 + ir;
                        float* d = dst + p * mr;
                        for (int r = 0; r < mr; r += 4) Vector128.Store(Vector128.Load(src + r) * av, d + r);
                    }
                    continue;
                }
                for (int p = 0; p < kc; p++)
                {
                    float* src = g.A + (long)(p0 + p) * g.Lda + i0 + ir;
                    float* d = dst + p * mr;
                    for (int r = 0; r < rows; r++) d[r] = alpha * src[r];
                }
            }
            if (rows < mr)
            {
                for (int p = 0; p < kc; p++)
                    for (int r = rows; r < mr; r++) dst[p * mr + r] = 0f;
            }
        }
    }

    /// <summary>Packs op(B)[p0.., j0..] (kc×nc) into NR-column micro-panels laid out [kc][NR], zero-padded.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void PackB(in GemmArgs g, int p0, int kc, int j0, int nc, float* dst, int nr)
    {
        if (!g.TransB && nc >= 2 * nr && (nr & 7) == 0 && Vector256.IsHardwareAccelerated)
        {
            PackBRows(g, p0, kc, j0, nc, dst, nr);
            return;
        }
        for (int jr = 0; jr < nc; jr += nr, dst += (long)nr * kc)
        {
            int cols = Math.Min(nr, nc - jr);
            if (!g.TransB)
            {
                // B[p, j] = b[p·ldb + j]: contiguous rows (whole panels 8 lanes at a time, no call per row).
                if (cols == nr && (nr & 7) == 0 && Vector256.IsHardwareAccelerated)
                {
                    float* src = g.B + (long)p0 * g.Ldb + j0 + jr;
                    for (int p = 0; p < kc; p++, src += g.Ldb)
                        for (int j = 0; j < nr; j += 8) Vector256.Store(Vector256.Load(src + j), dst + p * nr + j);
                    continue;
                }
                for (int p = 0; p < kc; p++)
                {
                    float* src = g.B + (long)(p0 + p) * g.Ldb + j0 + jr;
                    float* d = dst + p * nr;
                    if (cols == nr) Unsafe.CopyBlockUnaligned(d, src, (uint)(nr * sizeof(float)));
                    else
                    {
                        for (int j = 0; j < cols; j++) d[j] = src[j];
                        for (int j = cols; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                // B[p, j] = b[j·ldb + p]: transpose 8×8 blocks with AVX where possible, scalar elsewhere.
                int j8 = 0;
                if (Avx.IsSupported)
                {
                    int kc8 = kc & ~7;
                    for (; j8 + 8 <= cols; j8 += 8)
                    {
                        float* src = g.B + (long)(j0 + jr + j8) * g.Ldb + p0;
                        for (int p = 0; p < kc8; p += 8) Transpose8x8(src + p, g.Ldb, dst + p * nr + j8, nr, 1f);
                        for (int j = j8; j < j8 + 8; j++)
                        {
                            float* s = g.B + (long)(j0 + jr + j) * g.Ldb + p0;
                            for (int p = kc8; p < kc; p++) dst[p * nr + j] = s[p];
                        }
                    }
                }
                for (int j = j8; j < cols; j++)
                {
                    float* src = g.B + (long)(j0 + jr + j) * g.Ldb + p0;
                    float* d = dst + j;
                    for (int p = 0; p < kc; p++) d[p * nr] = src[p];
                }
                if (cols < nr)
                {
                    for (int p = 0; p < kc; p++)
                        for (int j = cols; j < nr; j++) dst[p * nr + j] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="PackB"/> for an untransposed B of several panels, row by row: each row's nc values are read once, in
    /// order, and scattered to the panels (panel f at f·kc·nr). A panel at a time walked kc rows of one 128-byte slice
    /// each, a stride the prefetchers follow less well (a 4,096 × 384 block packed at 9.9 GB/s that way, 12.5 row by
    /// row, one thread).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackBRows(in GemmArgs g, int p0, int kc, int j0, int nc, float* dst, int nr)
    {
        int full = nc / nr, rest = nc - full * nr;
        long panel = (long)kc * nr;
        for (int p = 0; p < kc; p++)
        {
            float* src = g.B + (long)(p0 + p) * g.Ldb + j0;
            float* d = dst + (long)p * nr;
            for (int f = 0; f < full; f++, src += nr, d += panel)
                for (int j = 0; j < nr; j += 8) Vector256.Store(Vector256.Load(src + j), d + j);
            if (rest > 0)
            {
                for (int j = 0; j < rest; j++) d[j] = src[j];
                for (int j = rest; j < nr; j++) d[j] = 0f;
            }
        }
    }

    /// <summary>
    /// <see cref="PackA"/> for a transposed A (A[i, p] = a[p·lda + i], a weight gradient's dyᵀ) of several panels, row
    /// by row: each row p of a gives mc contiguous values, read once, in order, and scattered MR at a time to the panels
    /// (panel f at f·kc·MR), the last one zero-padded. A panel at a time walked kc rows for 48 bytes each, every row
    /// another page (PackA 7–8% of a training step). The same values as the panel-at-a-time loop.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackATransRows(in GemmArgs g, int i0, int mc, int p0, int kc, float* dst, int mr)
    {
        int full = mc / mr, rest = mc - full * mr;
        long panel = (long)kc * mr;
        float alpha = g.Alpha;
        var a4 = Vector128.Create(alpha);
        var a8 = Vector256.Create(alpha);
        bool twelve = mr == 12 && Vector256.IsHardwareAccelerated;
        for (int p = 0; p < kc; p++)
        {
            float* src = g.A + (long)(p0 + p) * g.Lda + i0;
            float* d = dst + (long)p * mr;
            if (twelve)
            {
                // The AVX-512 tile's 12 rows: one 8-lane and one 4-lane copy per panel.
                for (int f = 0; f < full; f++, src += 12, d += panel)
                {
                    Vector256.Store(Vector256.Load(src) * a8, d);
                    Vector128.Store(Vector128.Load(src + 8) * a4, d + 8);
                }
            }
            else
            {
                for (int f = 0; f < full; f++, src += mr, d += panel)
                    for (int r = 0; r < mr; r += 4) Vector128.Store(Vector128.Load(src + r) * a4, d + r);
            }
            if (rest > 0)
            {
                for (int r = 0; r < rest; r++) d[r] = alpha * src[r];
                for (int r = rest; r < mr; r++) d[r] = 0f;
            }
        }
    }

    /// <summary>dst[p·ldd + j] = alpha·src[j·lds + p] for an 8×8 block (AVX unpack/shuffle/permute transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int lds, float* dst, int ldd, float alpha)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds);
        var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds);
        var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds);
        var r7 = Avx.LoadVector256(src + 7 * lds);
        if (alpha != 1f)
        {
            // Scaling before the shuffles multiplies every value once, as scaling after them would.
            var av = Vector256.Create(alpha);
            r0 *= av;
            r1 *= av;
            r2 *= av;
            r3 *= av;
            r4 *= av;
            r5 *= av;
            r6 *= av;
            r7 *= av;
        }
        StoreTransposed(r0, r1, r2, r3, r4, r5, r6, r7, dst, ldd);
    }

    /// <summary>dst[p·ldd + r] = alpha·src[r·lds + p] for 4 rows × 8 columns (eight 4-float stores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* src, int lds, float* dst, int ldd, float alpha)
    {
        TransposeColumns4x8(src, lds, alpha, out var u0, out var u1, out var u2, out var u3);
        u0.GetLower().Store(dst);
        u1.GetLower().Store(dst + ldd);
        u2.GetLower().Store(dst + 2 * ldd);
        u3.GetLower().Store(dst + 3 * ldd);
        u0.GetUpper().Store(dst + 4 * ldd);
        u1.GetUpper().Store(dst + 5 * ldd);
        u2.GetUpper().Store(dst + 6 * ldd);
        u3.GetUpper().Store(dst + 7 * ldd);
    }

    /// <summary>dst[p·4 + r] = alpha·src[r·lds + p] for 4 rows × 8 columns (32 contiguous floats out, four 8-float stores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* src, int lds, float* dst, float alpha)
    {
        TransposeColumns4x8(src, lds, alpha, out var u0, out var u1, out var u2, out var u3);
        Avx.Store(dst, Avx.Permute2x128(u0, u1, 0x20));
        Avx.Store(dst + 8, Avx.Permute2x128(u2, u3, 0x20));
        Avx.Store(dst + 16, Avx.Permute2x128(u0, u1, 0x31));
        Avx.Store(dst + 24, Avx.Permute2x128(u2, u3, 0x31));
    }

    /// <summary>
    /// Loads 4 rows × 8 columns of src (scaled by alpha) and returns its columns in pairs: u0 = column 0 | column 4,
    /// u1 = 1 | 5, u2 = 2 | 6, u3 = 3 | 7 (each half the 4 rows' values of one column).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeColumns4x8(float* src, int lds, float alpha, out Vector256<float> u0, out Vector256<float> u1,
        out Vector256<float> u2, out Vector256<float> u3)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds);
        var r3 = Avx.LoadVector256(src + 3 * lds);
        if (alpha != 1f)
        {
            var av = Vector256.Create(alpha);
            r0 *= av;
            r1 *= av;
            r2 *= av;
            r3 *= av;
        }
        var t0 = Avx.UnpackLow(r0, r1);   // a0 b0 a1 b1 | a4 b4 a5 b5
        var t1 = Avx.UnpackHigh(r0, r1);  // a2 b2 a3 b3 | a6 b6 a7 b7
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        u0 = Avx.Shuffle(t0, t2, 0x44);
        u1 = Avx.Shuffle(t0, t2, 0xEE);
        u2 = Avx.Shuffle(t1, t3, 0x44);
        u3 = Avx.Shuffle(t1, t3, 0xEE);
    }

    /// <summary>Stores the 8×8 block whose rows are r0…r7 transposed: dst[p·ldd + j] = r_j[p] (the packers' one transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTransposed(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, int ldd)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
