namespace Skald.Tensors.Gemm;

/// <summary>Argument validation shared by the GEMM backends (native code must never read past a span).</summary>
internal static class GemmChecks
{
    /// <summary>Elements spanned by a stored rows×cols matrix with row stride ld (0 when empty).</summary>
    public static long Extent(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;

    /// <summary>Throws unless the arguments describe matrices that fit their spans.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Validate(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc,
        long aLength, long bLength, long cLength, long strideA = 0, long strideB = 0, long strideC = 0, int batch = 1)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), "GEMM dimensions must be >= 0.");
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (lda < Math.Max(1, aCols)) throw new ArgumentOutOfRangeException(nameof(lda), $"lda={lda} < {aCols}.");
        if (ldb < Math.Max(1, bCols)) throw new ArgumentOutOfRangeException(nameof(ldb), $"ldb={ldb} < {bCols}.");
        if (ldc < Math.Max(1, n)) throw new ArgumentOutOfRangeException(nameof(ldc), $"ldc={ldc} < {n}.");
        if (batch == 0 || m == 0 || n == 0) return;
        long last = batch - 1;
        if (strideA < 0 || strideB < 0 || strideC < 0) throw new ArgumentOutOfRangeException(nameof(strideA));
        if (k > 0)
        {
            Need(last * strideA + Extent(aRows, aCols, lda), aLength, "a");
            Need(last * strideB + Extent(bRows, bCols, ldb), bLength, "b");
        }
        Need(last * strideC + Extent(m, n, ldc), cLength, "c");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Need(long required, long length, string name)
    {
        if (required > length)
            throw new ArgumentException($"GEMM operand '{name}' needs {required} elements but has {length}.", name);
    }

    /// <summary>C = beta·C over an m×n block (beta = 0 writes zeros, ignoring NaN in C, as BLAS does).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }
}
