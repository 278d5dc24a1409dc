using Skald.Tensors.Kernels;

namespace Skald.Tensors.Gemm;

/// <summary>Naive triple loop: the scalar reference twin that the fast backends are tested against.</summary>
public sealed class ReferenceGemm : IGemmBackend
{
    /// <inheritdoc />
    public string Name => "reference";

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)av * bv;
                }
                float prev = beta == 0f ? 0f : beta * c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * sum) + prev;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>The scalar twin of the bfloat16 packing paths: each B value widened where it is read.</remarks>
    public void SgemmBf16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm16(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <inheritdoc />
    /// <remarks>The scalar twin of the float16 packing paths: each B value widened where it is read.</remarks>
    public void SgemmF16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm16(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    private static void Sgemm16(bool half, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    ushort bits = transB ? b[j * ldb + p] : b[p * ldb + j];
                    float bv = half ? F16.ToSingle(bits) : Bf16.ToSingle(bits);
                    sum += (double)av * bv;
                }
                float prev = beta == 0f ? 0f : beta * c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * sum) + prev;
            }
        }
    }

    /// <inheritdoc />
    public void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
    {
        for (int i = 0; i < batch; i++)
        {
            Sgemm(transA, transB, m, n, k, alpha, a[(int)(i * strideA)..], lda, b[(int)(i * strideB)..], ldb,
                beta, c[(int)(i * strideC)..], ldc);
        }
    }
}
