using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

/// <summary>
/// The unpacked products of <see cref="Attention"/>'s direct inference kernel: C[<see cref="Rows"/>, cols] =
/// alpha · A[Rows, k] · B[k, cols], A and B row-major read in place through their row strides (no packing), each
/// C element one FMA chain over k in order (acc = fma(a[r, i], b[i, j], acc), then alpha · acc), so the Vector512
/// kernel and its scalar twin give the same bits.
/// </summary>
internal static unsafe class AttentionTile
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
