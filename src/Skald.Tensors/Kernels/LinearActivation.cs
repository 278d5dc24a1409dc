using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>
/// A fully connected layer followed by an element-wise activation, y[N, out] = act(x[N, in] · Wᵀ + b), with the
/// activation fused into the GEMM's store: each finished register tile of y is mapped while it is still in cache,
/// instead of a second pass over [N, out] (BERT's intermediate.dense + GELU: [B·T, 4C]). Inference only (the
/// pre-activation is not kept); training records <see cref="Linear"/> and the activation as two ops.
/// </summary>
public static unsafe class LinearActivation
{
    /// <summary>Whether <see cref="Forward"/> fuses <paramref name="kind"/> (else it runs the two passes).</summary>
    public static bool Fuses(ActivationKind kind) => Activations.TileKernel(kind) != null;

    /// <summary>
    /// y = act(x · Wᵀ + b). With the weight pre-packed for the managed backend (<paramref name="packed"/>, see
    /// <see cref="Linear.Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, PackedMatrix?, ReadOnlySpan{float}, Span{float}, int, int, int)"/>)
    /// and a fusable activation, one pass; otherwise <see cref="Linear"/> then the activation over y. Either way the
    /// same values as the two passes (the activation's kernel maps each element alike). x: [N, in], W: [out, in],
    /// b: [out] or empty, y: [N, out].
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, PackedMatrix? packed,
        ReadOnlySpan<float> bias, Span<float> y, int n, int inFeatures, int outFeatures, ActivationKind kind)
    {
        var f = Activations.TileKernel(kind);
        if (f != null && packed is not null && packed.K == inFeatures && packed.N == outFeatures
            && Blas.Backend is ManagedGemm managed && managed.Accepts(packed))
        {
            if (!bias.IsEmpty && bias.Length < outFeatures) throw new ArgumentException("bias needs out elements.", nameof(bias));
            managed.SgemmPackedFused(n, x, inFeatures, packed, bias.IsEmpty ? default : bias[..outFeatures],
                y[..(n * outFeatures)], outFeatures, f, null, null);
            return;
        }
        Linear.Forward(x, weight, packed, bias, y, n, inFeatures, outFeatures);
        Apply(y[..(n * outFeatures)], kind);
    }

    /// <summary>Scalar double-precision twin: y = act(x · Wᵀ + b) element by element.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> y, int n, int inFeatures, int outFeatures, ActivationKind kind)
    {
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                double acc = bias.IsEmpty ? 0.0 : bias[o];
                for (int k = 0; k < inFeatures; k++) acc += (double)x[i * inFeatures + k] * weight[o * inFeatures + k];
                y[i * outFeatures + o] = (float)acc;
            }
        }
        var row = y[..(n * outFeatures)];
        switch (kind)
        {
            case ActivationKind.Gelu: Activations.GeluReference(row, row); break;
            case ActivationKind.GeluTanh: Activations.GeluTanhReference(row, row); break;
            default: Apply(row, kind); break;
        }
    }

    private static void Apply(Span<float> y, ActivationKind kind)
    {
        switch (kind)
        {
            case ActivationKind.Identity: break;
            case ActivationKind.Gelu: Activations.Gelu(y, y); break;
            case ActivationKind.GeluTanh: Activations.GeluTanh(y, y); break;
            case ActivationKind.Relu: Activations.Relu(y, y); break;
            case ActivationKind.Tanh: Activations.Tanh(y, y); break;
            case ActivationKind.Sigmoid: System.Numerics.Tensors.TensorPrimitives.Sigmoid(y, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "no kernel for this activation");
        }
    }
}
