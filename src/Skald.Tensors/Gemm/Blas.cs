namespace Skald.Tensors.Gemm;

/// <summary>
/// The process-wide GEMM entry point. <see cref="Backend"/> defaults to native OpenBLAS when found, else the managed
/// SIMD kernel. Every matrix product in Skald goes through here.
/// </summary>
public static class Blas
{
    private static IGemmBackend? backend;

    /// <summary>The backend in use; settable (tests, benchmarks, SKALD_GEMM=managed|openblas|reference).</summary>
    public static IGemmBackend Backend
    {
        get => backend ??= GemmBackends.CreateDefault();
        set => backend = value;
    }

    /// <inheritdoc cref="IGemmBackend.Sgemm"/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Backend.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <inheritdoc cref="IGemmBackend.SgemmBf16"/>
    public static void SgemmBf16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
        => Backend.SgemmBf16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <inheritdoc cref="IGemmBackend.SgemmBatched"/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
        => Backend.SgemmBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc,
            strideC, batch);
}
