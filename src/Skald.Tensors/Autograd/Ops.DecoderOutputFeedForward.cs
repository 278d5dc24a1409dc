using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// A pre-norm decoder layer after its attention (LlamaDecoderLayer): h = x + <see cref="Linear"/>(ctx, Wo, bo),
    /// y = h + <see cref="Linear"/>(<see cref="LinearGated"/>(<see cref="RmsNorm"/>(h, norm, eps), Wgu, bgu, f), Wd, bd),
    /// returning y; Wgu is the stacked [gate; up] weight [2I, C], Wd [C, I]. On a tape that does not record, with the three
    /// weights float32 without LoRA, packed (<see cref="Tape.PackWeights"/> or packed-only) and multiplied from six bfloat16
    /// terms (AMX, <see cref="Quantization.SixTermGemm.Enabled"/>), neither in int8 nor in bfloat16: three parallel regions,
    /// the adds, the norm and the gate in the products' row finishes (<see cref="Kernels.DecoderOutputFeedForward"/>: the
    /// same bits). Otherwise the ops above, one by one.
    /// </summary>
    public static Variable DecoderOutputFeedForward(Tape tape, Variable ctx, Variable x, Parameter outputWeight,
        Parameter? outputBias, Parameter norm, float eps, Parameter gateUpWeight, Parameter? gateUpBias, GateFunction f,
        Parameter downWeight, Parameter? downBias)
    {
        int n = ctx.Rows, c = x.Cols, inter = downWeight.Shape.Length == 2 ? downWeight.Shape[1] : -1;
        if (!tape.Recording && Quantization.SixTermGemm.Enabled && x.Rows == n && norm.Length == c
            && Chainable(tape, outputWeight) && Chainable(tape, gateUpWeight) && Chainable(tape, downWeight)
            && Kernels.DecoderOutputFeedForward.Runs(outputWeight.PackedForLinear(tape),
                gateUpWeight.PackedForLinear(tape), downWeight.PackedForLinear(tape), ctx.Cols, c, inter))
        {
            var h = tape.NewVariable(n, c);
            var normed = tape.NewVariable(n, c);
            var rstd = tape.Save(n);
            var gateUp = tape.NewVariable(n, 2 * inter);
            var mid = tape.NewVariable(n, inter);
            var y = tape.NewVariable(n, c);
            using var precision = new Quantization.MatmulPrecisionScope(tape); // Tape.Float32Matmul
            Kernels.DecoderOutputFeedForward.Forward(n, ctx.Cols, c, inter,
                new Kernels.DecoderOutputFeedForward.Buffers(ctx.Span, x.Span, h.Span, normed.Span, rstd.Span, gateUp.Span, mid.Span, y.Span),
                outputWeight.PackedForLinear(tape)!, BiasValues(outputBias), norm.Data.Span, eps,
                gateUpWeight.PackedForLinear(tape)!, BiasValues(gateUpBias), f,
                downWeight.PackedForLinear(tape)!, BiasValues(downBias));
            return y;
        }
        var hidden = Add(tape, x, Linear(tape, ctx, outputWeight, outputBias));
        var gated = LinearGated(tape, RmsNorm(tape, hidden, norm, eps), gateUpWeight, gateUpBias, f);
        return Add(tape, hidden, Linear(tape, gated, downWeight, downBias));
    }
}
