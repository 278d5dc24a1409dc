using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>Fully connected layer as PyTorch stores it: y[N, out] = x[N, in] · Wᵀ + b, W: [out, in], b: [out].</summary>
public static class Linear
{
    /// <summary>Forward through <see cref="Blas"/>. <paramref name="bias"/> may be empty.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> y, int n, int inFeatures, int outFeatures)
    {
        if (!bias.IsEmpty && Blas.Backend is ManagedGemm managed)
        {
            // The bias goes into each tile of y inside the parallel GEMM (no serial copy of it into every row first).
            managed.SgemmBias(true, n, outFeatures, inFeatures, x, inFeatures, weight, inFeatures, bias, y, outFeatures);
            return;
        }
        if (!bias.IsEmpty)
        {
            for (int i = 0; i < n; i++) bias.CopyTo(y.Slice(i * outFeatures, outFeatures));
        }
        Blas.Sgemm(false, true, n, outFeatures, inFeatures, 1f, x, inFeatures, weight, inFeatures,
            bias.IsEmpty ? 0f : 1f, y, outFeatures);
    }

    /// <summary>
    /// Forward with the weight also pre-packed as op(B) = Wᵀ (<see cref="Blas.Pack"/>(true, in, out, W, in)): the same
    /// result as the unpacked forward, bit for bit (on AMX hosts the six-term product instead, <see cref="Quantization.SixTermGemm"/>), without packing W on every call (W itself is read only when the
    /// backend does not take <paramref name="packed"/>).
    /// </summary>
    public static unsafe void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, PackedMatrix? packed,
        ReadOnlySpan<float> bias, Span<float> y, int n, int inFeatures, int outFeatures)
    {
        if (packed is not null && packed.K == inFeatures && packed.N == outFeatures
            && Blas.Backend is ManagedGemm managed && managed.Accepts(packed))
        {
            // The bias goes into each tile of y inside the parallel GEMM (no serial copy of it into every row first).
            managed.SgemmPackedFused(n, x, inFeatures, packed, bias.IsEmpty ? default : bias[..outFeatures],
                y[..(n * outFeatures)], outFeatures, null, null, null);
            return;
        }
        if (!bias.IsEmpty)
        {
            for (int i = 0; i < n; i++) bias.CopyTo(y.Slice(i * outFeatures, outFeatures));
        }
        Blas.SgemmPacked(false, true, n, outFeatures, inFeatures, 1f, x, inFeatures, weight, inFeatures, packed,
            bias.IsEmpty ? 0f : 1f, y, outFeatures);
    }

    /// <summary>
    /// Forward with a bfloat16 weight (widened by the GEMM as it packs; <see cref="Blas.SgemmBf16"/>). Inference only.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<ushort> weight, ReadOnlySpan<float> bias,
        Span<float> y, int n, int inFeatures, int outFeatures)
        => Forward(x, weight, WeightPrecision.BFloat16, bias, y, n, inFeatures, outFeatures);

    /// <summary>
    /// Forward with a 16-bit weight of <paramref name="format"/> (bfloat16 or float16), widened by the GEMM as it packs
    /// (<see cref="Blas.Sgemm16"/>).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<ushort> weight, WeightPrecision format,
        ReadOnlySpan<float> bias, Span<float> y, int n, int inFeatures, int outFeatures)
    {
        if (!bias.IsEmpty)
        {
            for (int i = 0; i < n; i++) bias.CopyTo(y.Slice(i * outFeatures, outFeatures));
        }
        Blas.Sgemm16(format, false, true, n, outFeatures, inFeatures, 1f, x, inFeatures, weight, inFeatures,
            bias.IsEmpty ? 0f : 1f, y, outFeatures);
    }

    /// <summary>
    /// Backward through <see cref="Blas"/>. x: [N, in], weight: [out, in], dy: [N, out].
    /// Overwrites dx[N, in] = dy · W (skipped when empty); ACCUMULATES dweight[out, in] += dyᵀ · x and
    /// dbias[out] += Σ_rows dy (each skipped when empty).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dweight, Span<float> dbias, int n, int inFeatures, int outFeatures)
    {
        if (!dx.IsEmpty)
            Blas.Sgemm(false, false, n, inFeatures, outFeatures, 1f, dy, outFeatures, weight, inFeatures, 0f, dx,
                inFeatures);
        if (!dweight.IsEmpty)
            Blas.Sgemm(true, false, outFeatures, inFeatures, n, 1f, dy, outFeatures, x, inFeatures, 1f, dweight,
                inFeatures);
        if (!dbias.IsEmpty)
        {
            if (dbias.Length < outFeatures || dy.Length < (long)n * outFeatures)
                throw new ArgumentException("dbias needs out elements and dy N·out.", nameof(dbias));
            var db = dbias[..outFeatures];
            for (int i = 0; i < n; i++) TensorPrimitives.Add(db, dy.Slice(i * outFeatures, outFeatures), db);
        }
    }
}
