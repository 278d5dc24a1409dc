using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>Fully connected layer as PyTorch stores it: y[N, out] = x[N, in] · Wᵀ + b, W: [out, in], b: [out].</summary>
public static class Linear
{
    /// <summary>Forward through <see cref="Blas"/>. <paramref name="bias"/> may be empty.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> y, int n, int inFeatures, int outFeatures)
    {
        if (!bias.IsEmpty)
        {
            for (int i = 0; i < n; i++) bias.CopyTo(y.Slice(i * outFeatures, outFeatures));
        }
        Blas.Sgemm(false, true, n, outFeatures, inFeatures, 1f, x, inFeatures, weight, inFeatures,
            bias.IsEmpty ? 0f : 1f, y, outFeatures);
    }
}
