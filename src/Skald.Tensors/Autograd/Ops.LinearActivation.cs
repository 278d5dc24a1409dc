namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y = act(x · Wᵀ + b): <see cref="Activation"/>(<see cref="Linear"/>(x, W, b)). On a tape that does not record and
    /// reads weights pre-packed (<see cref="Tape.PackWeights"/>), a float32 weight without LoRA and a GELU are one fused
    /// pass (<see cref="Kernels.LinearActivation"/>: the activation applied in the GEMM's store); with
    /// <see cref="Tape.QuantizeLinear"/> such a weight is multiplied in int8 and the activation applied in the int8
    /// GEMM's store (<see cref="Quantization.Int8Gemm"/>; the same values as int8 <see cref="Linear"/> then the
    /// activation). With <see cref="Tape.Bf16Linear"/> (or a bf16-only weight) such a weight, 16-bit or float32, is
    /// multiplied in bfloat16 with GELU (exact or tanh) in the bfloat16 GEMM's store (<see cref="Quantization.Bf16Gemm"/>;
    /// the same bits as the bfloat16 <see cref="Linear"/> then the activation; other activations run after the product), with
    /// <see cref="Tape.KeepBf16Only"/> its values then dropped.
    /// Otherwise, and always when recording, the two ops with their own backward passes.
    /// </summary>
    public static unsafe Variable LinearActivation(Tape tape, Variable x, Parameter weight, Parameter? bias, ActivationKind kind)
    {
        if ((tape.Bf16Linear || weight.IsBf16Only) && !tape.Recording && Quantization.Bf16Weights.For(weight, tape.KeepBf16Only) is { } bf16)
        {
            if (kind is not (ActivationKind.Gelu or ActivationKind.GeluTanh) || !WithoutLora(weight) || weight.Shape[1] != x.Cols)
                return Activation(tape, Linear(tape, x, weight, bias), kind); // the bfloat16 product, then the activation
            var y = tape.NewVariable(x.Rows, weight.Shape[0]);
            Quantization.Bf16Gemm.LinearActivation(x.Span, bf16, bias is null ? default : bias.Data.Span, y.Span, x.Rows, kind);
            return y;
        }
        if (!tape.Recording && (tape.QuantizeLinear || weight.IsInt8Only) && Kernels.Activations.RowKernel(kind) is var f && f != null
            && FusableWeight(weight) && weight.Shape.Length == 2 && weight.Shape[1] == x.Cols
            && Quantization.Int8Weights.For(weight, tape.KeepInt8Only) is { } int8)
        {
            var y = tape.NewVariable(x.Rows, weight.Shape[0]);
            Quantization.Int8Gemm.LinearActivation(x.Span, int8, bias is null ? default : bias.Data.Span, y.Span, x.Rows, kind);
            return y;
        }
        if (!tape.Recording && (tape.PackWeights || weight.IsPackedOnly) && Kernels.LinearActivation.Fuses(kind) && FusableWeight(weight)
            && !((tape.QuantizeLinear || weight.IsInt8Only) && Quantization.Int8Weights.For(weight) is not null)
            && weight.Shape.Length == 2 && weight.Shape[1] == x.Cols && weight.PackedForLinear(tape) is { } packed)
        {
            int n = x.Rows, inF = x.Cols, outF = weight.Shape[0];
            var y = tape.NewVariable(n, outF);
            using var precision = new Quantization.MatmulPrecisionScope(tape); // Tape.Float32Matmul
            Kernels.LinearActivation.Forward(x.Span, weight.ValuesIfHeld, packed, bias is null ? default : bias.Data.Span,
                y.Span, n, inF, outF, kind);
            return y;
        }
        return Activation(tape, Linear(tape, x, weight, bias), kind);
    }

    private static bool FusableWeight(Parameter weight) => weight.Precision == WeightPrecision.Float32 && WithoutLora(weight);

    // Neither the weight nor a stacked part of it has a LoRA adapter (whose term Linear adds after the product).
    private static bool WithoutLora(Parameter weight)
    {
        if (weight.Lora is not null) return false;
        var parts = weight.Parts;
        for (int i = 0; i < parts.Count; i++)
        {
            if (parts[i].Lora is not null) return false;
        }
        return true;
    }
}
