using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Kernels;

/// <summary>
/// A BERT layer's attention output and feed-forward block at inference on the six-term AMX product
/// (<see cref="SixTermGemm"/>), in one parallel region: h = LayerNorm(ctx · Woᵀ + bo + x), mid = act(h · Wiᵀ + bi),
/// y = LayerNorm(mid · W2ᵀ + b2 + h). Each step is row-local, so each thread runs all three over its own row blocks in
/// turn (<see cref="SixTermGemm.RunChain"/>) instead of three regions with a join and a wake-up between them. The same
/// bits as <see cref="LinearAddLayerNorm"/>, <see cref="LinearActivation"/> and <see cref="LinearAddLayerNorm"/> one
/// after another. Inference only.
/// </summary>
internal static unsafe class OutputFeedForward
{
    /// <summary>
    /// Whether <see cref="Forward"/> runs here in one region: the six-term product on (<see cref="SixTermGemm.Enabled"/>),
    /// the managed backend holding all three weights packed with their shapes (Wo [C, C], Wi [I, C], W2 [C, I]), each
    /// multiplied from its pieces (<see cref="ManagedGemm.MultipliesOnSixTerms"/>: not a float32 weight that
    /// <c>SKALD_AMX_FP32=bf16</c> keeps on its panels), and a fusable activation.
    /// </summary>
    internal static bool Runs(PackedMatrix? output, PackedMatrix? up, PackedMatrix? down, int c, int inter, Autograd.ActivationKind kind) =>
        SixTermGemm.Enabled && Activations.TileKernel(kind) != null && Blas.Backend is ManagedGemm managed
        && output is not null && up is not null && down is not null && managed.Accepts(output) && managed.Accepts(up)
        && managed.Accepts(down) && ManagedGemm.MultipliesOnSixTerms(output) && ManagedGemm.MultipliesOnSixTerms(up)
        && ManagedGemm.MultipliesOnSixTerms(down) && output.N == c && output.K == c && up.N == inter && up.K == c && down.N == c && down.K == inter;

    /// <summary>
    /// h, mid and y as above for n rows (ctx, x, h, y: [n, c]; mid: [n, inter]; mean and rstd of each LayerNorm: [n];
    /// biases [out] or empty, gammas [c], betas [c] or empty). Only where <see cref="Runs"/> says so.
    /// </summary>
    internal static void Forward(ReadOnlySpan<float> ctx, ReadOnlySpan<float> x, int n, int c, int inter, float eps,
        PackedMatrix wo, ReadOnlySpan<float> biasO, ReadOnlySpan<float> gammaO, ReadOnlySpan<float> betaO,
        PackedMatrix wi, ReadOnlySpan<float> biasI, Autograd.ActivationKind kind,
        PackedMatrix w2, ReadOnlySpan<float> bias2, ReadOnlySpan<float> gamma2, ReadOnlySpan<float> beta2,
        Span<float> h, Span<float> mean1, Span<float> rstd1, Span<float> mid, Span<float> y, Span<float> mean2, Span<float> rstd2)
    {
        if (!Runs(wo, wi, w2, c, inter, kind)) throw new InvalidOperationException("OutputFeedForward does not run here.");
        long rows = (long)n * c, wide = (long)n * inter;
        if (ctx.Length < rows || x.Length < rows || h.Length < rows || y.Length < rows || mid.Length < wide
            || mean1.Length < n || rstd1.Length < n || mean2.Length < n || rstd2.Length < n)
            throw new ArgumentException($"ctx, x, h, y need {rows} elements, mid {wide}, mean and rstd {n}.");
        if ((!biasO.IsEmpty && biasO.Length < c) || (!biasI.IsEmpty && biasI.Length < inter) || (!bias2.IsEmpty && bias2.Length < c)
            || gammaO.Length < c || gamma2.Length < c || (!betaO.IsEmpty && betaO.Length < c) || (!beta2.IsEmpty && beta2.Length < c))
            throw new ArgumentException("biases, gammas and betas need their layer's width (biases and betas may be empty).");
        fixed (float* pctx = ctx, px = x, ph = h, pm1 = mean1, ps1 = rstd1, pmid = mid, py = y, pm2 = mean2, ps2 = rstd2)
        fixed (float* bo = biasO, go = gammaO, eo = betaO, bi = biasI, b2 = bias2, g2 = gamma2, e2 = beta2)
        {
            var first = new LinearAddLayerNorm.Rows
            {
                Y = ph, Residual = px, Gamma = go, Beta = betaO.IsEmpty ? null : eo, Mean = pm1, Rstd = ps1, Cols = c, Eps = eps,
            };
            var third = new LinearAddLayerNorm.Rows
            {
                Y = py, Residual = ph, Gamma = g2, Beta = beta2.IsEmpty ? null : e2, Mean = pm2, Rstd = ps2, Cols = c, Eps = eps,
            };
            delegate*<void*, int, int, void> finish = &LinearAddLayerNorm.Finish;
            SixTermGemm.RunChain(n,
                new SixTermGemm.Stage(wo.SixTerm, (nint)pctx, c, biasO.IsEmpty ? 0 : (nint)bo, (nint)ph, c, 0, (nint)finish, (nint)(&first)),
                new SixTermGemm.Stage(wi.SixTerm, (nint)ph, c, biasI.IsEmpty ? 0 : (nint)bi, (nint)pmid, inter,
                    (nint)Activations.TileKernel(kind), 0, 0),
                new SixTermGemm.Stage(w2.SixTerm, (nint)pmid, inter, bias2.IsEmpty ? 0 : (nint)b2, (nint)py, c, 0, (nint)finish, (nint)(&third)));
        }
        GC.KeepAlive(wo);
        GC.KeepAlive(wi);
        GC.KeepAlive(w2);
    }
}
