using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// A gated MLP's first half: <see cref="GatedActivation"/>(<see cref="Linear"/>(x, W, b), f) with W the stacked
    /// [gate; up] weight [2I, C] and b [2I] → f(gate) ⊙ up [n, I]. On a tape that does not record, with
    /// <see cref="Tape.Bf16Linear"/> (or a bf16-only weight) and each half a whole number of the bfloat16 GEMM's panels,
    /// one pass: the bfloat16 product with f(gate) ⊙ up in its store (<see cref="Quantization.Bf16Gemm"/>; the same bits as
    /// the two ops, without the [n, 2I] intermediate), with <see cref="Tape.KeepBf16Only"/> the weight's values then
    /// dropped. Otherwise, and always when recording, the two ops with their own backward passes.
    /// </summary>
    public static Variable LinearGated(Tape tape, Variable x, Parameter weight, Parameter? bias, GateFunction f)
    {
        if ((tape.Bf16Linear || weight.IsBf16Only) && !tape.Recording && weight.Shape.Length == 2 && weight.Shape[1] == x.Cols
            && WithoutLora(weight) && Quantization.Bf16Weights.For(weight, tape.KeepBf16Only) is { } bf16
            && Quantization.Bf16Gemm.CanGate(bf16))
        {
            var y = tape.NewVariable(x.Rows, weight.Shape[0] / 2);
            Quantization.Bf16Gemm.LinearGated(x.Span, bf16, bias is null ? default : bias.Data.Span, y.Span, x.Rows, f);
            return y;
        }
        return GatedActivation(tape, Linear(tape, x, weight, bias), f);
    }
}
