using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>
/// BERT's output projections at inference, y = LayerNorm(x · Wᵀ + b + residual), in one parallel pass: the GEMM (weight
/// pre-packed, bias placed in each tile) hands every block of finished rows, while they are still in cache, to the
/// residual add and the LayerNorm of those rows, instead of three further passes over [N, out] (a serial bias copy,
/// a serial residual add, a parallel LayerNorm) each with its own fork and join. The same bytes as
/// <see cref="Linear"/>, a vector add and <see cref="LayerNorm.Forward"/>. Inference only.
/// </summary>
public static unsafe class LinearAddLayerNorm
{
    /// <summary>
    /// y = LayerNorm(x · Wᵀ + b + residual) over rows of out values; mean and rstd [N] as <see cref="LayerNorm.Forward"/>
    /// keeps them. x: [N, in], W: [out, in] (also pre-packed as <paramref name="packed"/>, else the unfused passes),
    /// b: [out] or empty, residual, y: [N, out], gamma, beta: [out] (beta may be empty).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, PackedMatrix? packed,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, Span<float> mean, Span<float> rstd, int n, int inFeatures, int outFeatures, float eps)
    {
        long need = (long)n * outFeatures;
        if (residual.Length < need || y.Length < need) throw new ArgumentException($"residual and y need {need} elements.");
        if (gamma.Length < outFeatures || (!beta.IsEmpty && beta.Length < outFeatures) || mean.Length < n || rstd.Length < n)
            throw new ArgumentException("gamma/beta need out elements (beta may be empty), mean/rstd need N elements.");
        if (packed is not null && packed.K == inFeatures && packed.N == outFeatures
            && Blas.Backend is ManagedGemm managed && managed.Accepts(packed))
        {
            fixed (float* pr = residual, pg = gamma, pb = beta, py = y, pm = mean, ps = rstd)
            {
                var context = new Rows
                {
                    Y = py, Residual = pr, Gamma = pg, Beta = beta.IsEmpty ? null : pb, Mean = pm, Rstd = ps,
                    Cols = outFeatures, Eps = eps,
                };
                managed.SgemmPackedFused(n, x, inFeatures, packed, bias.IsEmpty ? default : bias[..outFeatures],
                    y[..(int)need], outFeatures, null, &Finish, &context);
            }
            return;
        }
        Linear.Forward(x, weight, packed, bias, y, n, inFeatures, outFeatures);
        var ys = y[..(int)need];
        TensorPrimitives.Add(ys, residual[..(int)need], ys);
        LayerNorm.Forward(ys, gamma, beta, ys, mean, rstd, n, outFeatures, eps);
    }

    /// <summary>Scalar double-precision twin: the product, bias and residual in double, then
    /// <see cref="LayerNorm.ForwardReference"/>.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> mean, Span<float> rstd, int n, int inFeatures, int outFeatures, float eps)
    {
        var s = new float[n * outFeatures];
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                double acc = bias.IsEmpty ? 0.0 : bias[o];
                for (int k = 0; k < inFeatures; k++) acc += (double)x[i * inFeatures + k] * weight[o * inFeatures + k];
                s[i * outFeatures + o] = (float)(acc + residual[i * outFeatures + o]);
            }
        }
        LayerNorm.ForwardReference(s, gamma, beta, y, mean, rstd, n, outFeatures, eps);
    }

    /// <summary>What <see cref="Finish"/> needs (lives on the caller's stack for the duration of the product).</summary>
    internal struct Rows
    {
        public float* Y, Residual, Gamma, Beta, Mean, Rstd;
        public int Cols;
        public float Eps;
    }

    /// <summary>The residual add and LayerNorm of finished rows [r0, r1) (<paramref name="context"/>: a <see cref="Rows"/>).</summary>
    internal static void Finish(void* context, int r0, int r1)
    {
        var c = (Rows*)context;
        LayerNorm.AddForwardRowsInPlace(c->Y, c->Residual, c->Gamma, c->Beta, c->Mean, c->Rstd, r0, r1, c->Cols, c->Eps);
    }
}
