namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// BertSelfOutput / BertOutput: y = LayerNorm(dropout(x · Wᵀ + b) + residual), that is
    /// <see cref="AddDropoutLayerNorm"/>(<see cref="Linear"/>(x, W, b), residual). On a tape that does not record and
    /// reads weights pre-packed (<see cref="Tape.PackWeights"/>), without dropout, with a float32 weight without LoRA and
    /// not multiplied in int8, one fused pass (<see cref="Kernels.LinearAddLayerNorm"/>: the same bytes); multiplied in
    /// int8 (<see cref="Tape.QuantizeLinear"/> or an int8-only weight), the int8 product with the add and LayerNorm on
    /// its finished rows (<see cref="Quantization.Int8Gemm"/>: the same bytes as the int8 Linear and the two ops);
    /// with <see cref="Tape.Bf16Linear"/> (or a bf16-only weight), without dropout or LoRA, the bfloat16 product with the add
    /// and LayerNorm on its finished rows (<see cref="Quantization.Bf16Gemm"/>: the same bytes as the bfloat16
    /// <see cref="Linear"/> and the two ops), else those; otherwise, and
    /// always when recording, the two ops with their own backward passes.
    /// </summary>
    public static Variable LinearAddLayerNorm(Tape tape, Variable x, Parameter weight, Parameter? bias, Variable residual,
        Parameter gamma, Parameter beta, float eps, float dropout)
    {
        if ((tape.Bf16Linear || weight.IsBf16Only) && !tape.Recording && Quantization.Bf16Weights.For(weight, tape.KeepBf16Only) is { } bf16)
        {
            if (dropout != 0f || !WithoutLora(weight) || weight.Shape[1] != x.Cols || residual.Rows != x.Rows || residual.Cols != weight.Shape[0])
                return AddDropoutLayerNorm(tape, Linear(tape, x, weight, bias), residual, gamma, beta, eps, dropout); // bfloat16 product
            int n = x.Rows;
            var mean = tape.Save(n);
            var rstd = tape.Save(n);
            var y = tape.NewVariable(n, weight.Shape[0]);
            Quantization.Bf16Gemm.LinearAddLayerNorm(x.Span, bf16, bias is null ? default : bias.Data.Span, residual.Span,
                gamma.Data.Span, beta.Data.Span, y.Span, mean.Span, rstd.Span, n, eps);
            return y;
        }
        if (!tape.Recording && (tape.PackWeights || weight.IsPackedOnly) && dropout == 0f && FusableWeight(weight)
            && !(tape.QuantizeLinear && Quantization.Int8Weights.For(weight) is not null)
            && weight.Shape.Length == 2 && weight.Shape[1] == x.Cols && residual.Rows == x.Rows
            && residual.Cols == weight.Shape[0] && weight.PackedForLinear(tape) is { } packed)
        {
            int n = x.Rows, inF = x.Cols, outF = weight.Shape[0];
            var mean = tape.Save(n);
            var rstd = tape.Save(n);
            var y = tape.NewVariable(n, outF);
            using var precision = new Quantization.MatmulPrecisionScope(tape); // Tape.Float32Matmul
            Kernels.LinearAddLayerNorm.Forward(x.Span, weight.ValuesIfHeld, packed,
                bias is null ? default : bias.Values.Span, residual.Span, gamma.Values.Span, beta.Values.Span,
                y.Span, mean.Span, rstd.Span, n, inF, outF, eps);
            return y;
        }
        if (!tape.Recording && dropout == 0f && (tape.QuantizeLinear || weight.IsInt8Only) && FusableWeight(weight)
            && weight.Shape.Length == 2 && weight.Shape[1] == x.Cols && residual.Rows == x.Rows
            && residual.Cols == weight.Shape[0] && Quantization.Int8Weights.For(weight, tape.KeepInt8Only) is { } int8)
        {
            int n = x.Rows;
            var mean = tape.Save(n);
            var rstd = tape.Save(n);
            var y = tape.NewVariable(n, weight.Shape[0]);
            Quantization.Int8Gemm.LinearAddLayerNorm(x.Span, int8, bias is null ? default : bias.Data.Span, residual.Span,
                gamma.Data.Span, beta.Data.Span, y.Span, mean.Span, rstd.Span, n, eps);
            return y;
        }
        return AddDropoutLayerNorm(tape, Linear(tape, x, weight, bias), residual, gamma, beta, eps, dropout);
    }
}
