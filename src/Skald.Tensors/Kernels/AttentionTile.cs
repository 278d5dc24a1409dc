using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Kernels;

/// <summary>
/// The unpacked products of <see cref="Attention"/>'s direct inference kernel: C[<see cref="Rows"/>, cols] =
/// alpha · A[Rows, k] · B[k, cols], A and B row-major read in place through their row strides (no packing), each
/// C element one FMA chain over k in order (acc = fma(a[r, i], b[i, j], acc), then alpha · acc), so the Vector512
/// kernel and its scalar twin give the same bits.
/// </summary>
internal static unsafe partial class AttentionTile
{
    /// <summary>Rows of A and C per call (8 rows × 2 vectors: 16 accumulators).</summary>
    public const int Rows = 8;

    /// <summary>C[Rows, cols] = alpha·A·B for cols 16 or 32 (B and C hold whole vectors there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(float* a, int lda, float* b, int ldb, int k, float alpha, float* c, int ldc, int cols,
        bool vectorized)
    {
        if (!vectorized) Scalar(a, lda, b, ldb, k, alpha, c, ldc, cols, Rows);
        else if (cols == 32) Kernel8x32(a, lda, b, ldb, k, alpha, c, ldc);
        else Kernel8x16(a, lda, b, ldb, k, alpha, c, ldc);
    }

    /// <summary>C[rows, cols] = A·B for fewer than 16 columns (a head dim off the vector width): the scalar chains.</summary>
    public static void MultiplyTail(float* a, int lda, float* b, int ldb, int k, float* c, int ldc, int cols, int rows) =>
        Scalar(a, lda, b, ldb, k, 1f, c, ldc, cols, rows);

    /// <summary>
    /// dst[i, t] = src[t, i] for t &lt; rows, i &lt; cols (row strides ldSrc, ldDst): 16×16 blocks in registers
    /// (vectorized), the edges one element at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(float* src, int ldSrc, int rows, int cols, float* dst, int ldDst, bool vectorized)
    {
        int t0 = 0, i0 = 0;
        if (vectorized && Avx512F.IsSupported)
        {
            for (; t0 + 16 <= rows; t0 += 16)
            for (i0 = 0; i0 + 16 <= cols; i0 += 16)
                Transpose16(src + (long)t0 * ldSrc + i0, ldSrc, dst + (long)i0 * ldDst + t0, ldDst);
            i0 = cols & ~15;
            if (i0 < cols) ScalarTranspose(src, ldSrc, 0, t0, i0, cols, dst, ldDst);
        }
        ScalarTranspose(src, ldSrc, t0, rows, 0, cols, dst, ldDst);
    }

    private static void ScalarTranspose(float* src, int ldSrc, int t0, int t1, int i0, int i1, float* dst, int ldDst)
    {
        for (int t = t0; t < t1; t++)
        {
            float* s = src + (long)t * ldSrc;
            for (int i = i0; i < i1; i++) dst[(long)i * ldDst + t] = s[i];
        }
    }

    /// <summary>16×16 block: dst row i (stride ldDst) gets column i of the 16 src rows (stride ldSrc).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(float* src, nint ldSrc, float* dst, nint ldDst)
    {
        var r0 = Vector512.Load(src + 0 * ldSrc);
        var r1 = Vector512.Load(src + 1 * ldSrc);
        var r2 = Vector512.Load(src + 2 * ldSrc);
        var r3 = Vector512.Load(src + 3 * ldSrc);
        var r4 = Vector512.Load(src + 4 * ldSrc);
        var r5 = Vector512.Load(src + 5 * ldSrc);
        var r6 = Vector512.Load(src + 6 * ldSrc);
        var r7 = Vector512.Load(src + 7 * ldSrc);
        var r8 = Vector512.Load(src + 8 * ldSrc);
        var r9 = Vector512.Load(src + 9 * ldSrc);
        var r10 = Vector512.Load(src + 10 * ldSrc);
        var r11 = Vector512.Load(src + 11 * ldSrc);
        var r12 = Vector512.Load(src + 12 * ldSrc);
        var r13 = Vector512.Load(src + 13 * ldSrc);
        var r14 = Vector512.Load(src + 14 * ldSrc);
        var r15 = Vector512.Load(src + 15 * ldSrc);
        var t0 = Avx512F.UnpackLow(r0, r1);
        var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3);
        var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5);
        var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7);
        var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9);
        var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11);
        var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13);
        var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15);
        var t15 = Avx512F.UnpackHigh(r14, r15);
        r0 = Avx512F.Shuffle(t0, t2, 0x44);
        r1 = Avx512F.Shuffle(t0, t2, 0xEE);
        r2 = Avx512F.Shuffle(t1, t3, 0x44);
        r3 = Avx512F.Shuffle(t1, t3, 0xEE);
        r4 = Avx512F.Shuffle(t4, t6, 0x44);
        r5 = Avx512F.Shuffle(t4, t6, 0xEE);
        r6 = Avx512F.Shuffle(t5, t7, 0x44);
        r7 = Avx512F.Shuffle(t5, t7, 0xEE);
        r8 = Avx512F.Shuffle(t8, t10, 0x44);
        r9 = Avx512F.Shuffle(t8, t10, 0xEE);
        r10 = Avx512F.Shuffle(t9, t11, 0x44);
        r11 = Avx512F.Shuffle(t9, t11, 0xEE);
        r12 = Avx512F.Shuffle(t12, t14, 0x44);
        r13 = Avx512F.Shuffle(t12, t14, 0xEE);
        r14 = Avx512F.Shuffle(t13, t15, 0x44);
        r15 = Avx512F.Shuffle(t13, t15, 0xEE);
        StoreLanes(r0, r4, r8, r12, dst, ldDst);
        StoreLanes(r1, r5, r9, r13, dst + ldDst, ldDst);
        StoreLanes(r2, r6, r10, r14, dst + 2 * ldDst, ldDst);
        StoreLanes(r3, r7, r11, r15, dst + 3 * ldDst, ldDst);
    }

    /// <summary>
    /// Last stage of <see cref="Transpose16"/>: the 128-bit lanes of four shuffled rows (a, b from the first half of the
    /// rows, c, d from the second) combined into output rows 0, 4, 8 and 12 after <paramref name="dst"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        float* dst, nint ldDst)
    {
        var x0 = Avx512F.Shuffle4x128(a, b, 0x44);
        var x1 = Avx512F.Shuffle4x128(a, b, 0xEE);
        var y0 = Avx512F.Shuffle4x128(c, d, 0x44);
        var y1 = Avx512F.Shuffle4x128(c, d, 0xEE);
        Avx512F.Shuffle4x128(x0, y0, 0x88).Store(dst);
        Avx512F.Shuffle4x128(x0, y0, 0xDD).Store(dst + 4 * ldDst);
        Avx512F.Shuffle4x128(x1, y1, 0x88).Store(dst + 8 * ldDst);
        Avx512F.Shuffle4x128(x1, y1, 0xDD).Store(dst + 12 * ldDst);
    }

    /// <summary>Scalar twin: the same FMA chains as the Vector512 kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scalar(float* a, int lda, float* b, int ldb, int k, float alpha, float* c, int ldc, int cols,
        int rows)
    {
        for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++)
        {
            float acc = 0f;
            for (int i = 0; i < k; i++) acc = MathF.FusedMultiplyAdd(a[(long)r * lda + i], b[(long)i * ldb + j], acc);
            c[(long)r * ldc + j] = alpha * acc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(float* a, int lda, float* b, int ldb, int k, float alpha, float* c, int ldc)
    {
        var z = Vector512<float>.Zero;
        Vector512<float> c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        Vector512<float> c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        nint l1 = lda, l3 = 3 * (nint)lda;
        float* a4 = a + 4 * (nint)lda;
        for (int i = 0; i < k; i++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += ldb;
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[l1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2 * l1]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[l3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[0]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a4[l1]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a4[2 * l1]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a4[l3]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a++;
            a4++;
        }
        var s = Vector512.Create(alpha);
        nint lc = ldc;
        (c00 * s).Store(c); (c01 * s).Store(c + 16); c += lc;
        (c10 * s).Store(c); (c11 * s).Store(c + 16); c += lc;
        (c20 * s).Store(c); (c21 * s).Store(c + 16); c += lc;
        (c30 * s).Store(c); (c31 * s).Store(c + 16); c += lc;
        (c40 * s).Store(c); (c41 * s).Store(c + 16); c += lc;
        (c50 * s).Store(c); (c51 * s).Store(c + 16); c += lc;
        (c60 * s).Store(c); (c61 * s).Store(c + 16); c += lc;
        (c70 * s).Store(c); (c71 * s).Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x16(float* a, int lda, float* b, int ldb, int k, float alpha, float* c, int ldc)
    {
        var z = Vector512<float>.Zero;
        Vector512<float> c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
        nint l1 = lda, l3 = 3 * (nint)lda;
        float* a4 = a + 4 * (nint)lda;
        for (int i = 0; i < k; i++)
        {
            var b0 = Vector512.Load(b);
            b += ldb;
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[l1]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[2 * l1]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[l3]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[0]), b0, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[l1]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[2 * l1]), b0, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[l3]), b0, c7);
            a++;
            a4++;
        }
        var s = Vector512.Create(alpha);
        nint lc = ldc;
        (c0 * s).Store(c); c += lc;
        (c1 * s).Store(c); c += lc;
        (c2 * s).Store(c); c += lc;
        (c3 * s).Store(c); c += lc;
        (c4 * s).Store(c); c += lc;
        (c5 * s).Store(c); c += lc;
        (c6 * s).Store(c); c += lc;
        (c7 * s).Store(c);
    }
}
