namespace Skald.Tensors.Gemm;

/// <summary>
/// A single-precision general matrix product, row-major, BLAS semantics:
/// C[m, n] = alpha * op(A)[m, k] · op(B)[k, n] + beta * C, where op(X) is X or Xᵀ.
/// lda, ldb, ldc are row strides of the stored matrices.
/// </summary>
public interface IGemmBackend
{
    /// <summary>Short name for reports ("openblas", "managed-avx512", ...).</summary>
    string Name { get; }

    /// <summary>C = alpha·op(A)·op(B) + beta·C (row-major). May use several threads.</summary>
    void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc);

    /// <summary>
    /// <see cref="Sgemm"/> with B in bfloat16 (<paramref name="b"/> holds the upper 16 bits of each float32): computed in
    /// float32, B widened as it is read, so the result equals <see cref="Sgemm"/> on the widened B up to summation order.
    /// </summary>
    void SgemmBf16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc);

    /// <summary>
    /// <see cref="Sgemm"/> with B in IEEE float16 (<paramref name="b"/> holds the bits of each <see cref="Half"/>):
    /// computed in float32, B widened exactly as it is read, as <see cref="SgemmBf16"/>.
    /// </summary>
    void SgemmF16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc);

    /// <summary>
    /// <paramref name="batch"/> independent products; matrix i of A starts at i·<paramref name="strideA"/>, and so on.
    /// Parallel over the batch (each product single-threaded) when the batch is large enough.
    /// </summary>
    void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch);
}
