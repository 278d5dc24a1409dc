namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// A BERT layer after its attention: h = <see cref="LinearAddLayerNorm"/>(ctx, Wo, bo, x, γo, βo), mid =
    /// <see cref="LinearActivation"/>(h, Wi, bi, act), y = <see cref="LinearAddLayerNorm"/>(mid, W2, b2, h, γ2, β2),
    /// returning y. On a tape that neither records nor drops out, with the three weights float32 without LoRA, packed
    /// (<see cref="Tape.PackWeights"/> or packed-only) and multiplied from six bfloat16 terms (AMX,
    /// <see cref="Quantization.SixTermGemm.Enabled"/>), neither in int8 nor in bfloat16, and a GELU: one parallel
    /// region for all three (<see cref="Kernels.OutputFeedForward"/>: the same bits). Otherwise the three ops.
    /// </summary>
    public static Variable OutputFeedForward(Tape tape, Variable ctx, Variable x, Parameter outputWeight, Parameter? outputBias,
        Parameter outputGamma, Parameter outputBeta, Parameter upWeight, Parameter? upBias, ActivationKind kind,
        Parameter downWeight, Parameter? downBias, Parameter downGamma, Parameter downBeta, float eps, float dropout)
    {
        int n = ctx.Rows, c = x.Cols, inter = upWeight.Shape.Length == 2 ? upWeight.Shape[0] : -1;
        // (Packing is asked for only once the six-term product and a fusable activation are known to run: elsewhere the
        // three ops pack, or not, as they always have.)
        if (!tape.Recording && dropout == 0f && Quantization.SixTermGemm.Enabled && Kernels.LinearActivation.Fuses(kind)
            && ctx.Cols == c && x.Rows == n && Chainable(tape, outputWeight)
            && Chainable(tape, upWeight) && Chainable(tape, downWeight)
            && Kernels.OutputFeedForward.Runs(outputWeight.PackedForLinear(tape), upWeight.PackedForLinear(tape),
                downWeight.PackedForLinear(tape), c, inter, kind))
        {
            var mean1 = tape.Save(n);
            var rstd1 = tape.Save(n);
            var h = tape.NewVariable(n, c);
            var mid = tape.NewVariable(n, inter);
            var mean2 = tape.Save(n);
            var rstd2 = tape.Save(n);
            var y = tape.NewVariable(n, c);
            using var precision = new Quantization.MatmulPrecisionScope(tape); // Tape.Float32Matmul
            Kernels.OutputFeedForward.Forward(ctx.Span, x.Span, n, c, inter, eps,
                outputWeight.PackedForLinear(tape)!, BiasValues(outputBias), outputGamma.Values.Span, outputBeta.Values.Span,
                upWeight.PackedForLinear(tape)!, BiasValues(upBias), kind,
                downWeight.PackedForLinear(tape)!, BiasValues(downBias), downGamma.Values.Span, downBeta.Values.Span,
                h.Span, mean1.Span, rstd1.Span, mid.Span, y.Span, mean2.Span, rstd2.Span);
            return y;
        }
        var hidden = LinearAddLayerNorm(tape, ctx, outputWeight, outputBias, x, outputGamma, outputBeta, eps, dropout);
        var middle = LinearActivation(tape, hidden, upWeight, upBias, kind);
        return LinearAddLayerNorm(tape, middle, downWeight, downBias, hidden, downGamma, downBeta, eps, dropout);
    }

    // A [out, in] float32 weight without LoRA that the tape multiplies packed in float32 (neither int8 nor bfloat16).
    private static bool Chainable(Tape tape, Parameter weight) =>
        weight.Shape.Length == 2 && FusableWeight(weight) && (tape.PackWeights || weight.IsPackedOnly)
        && !tape.Bf16Linear && !weight.IsBf16Only && !tape.QuantizeLinear && !weight.IsInt8Only;

    private static ReadOnlySpan<float> BiasValues(Parameter? bias) => bias is null ? default : bias.Values.Span;
}
