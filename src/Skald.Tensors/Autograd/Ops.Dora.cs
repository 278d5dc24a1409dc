using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// What a DoRA term's backward needs: its input x̃ (dropout(x) in training with dropout, else x itself),
    /// s = m/ν [out], 1/ν [out] and v = x̃·Wᵀ + scale·(x̃·Aᵀ)·Bᵀ [n, out] (the adapted product before the magnitude).
    /// </summary>
    private sealed record DoraSaved(Variable Input, Memory<float> S, Memory<float> InverseNorm, Memory<float> V);

    /// <summary>
    /// A DoRA term (<see cref="LoraAdapter.Magnitude"/>) added in place to y[:, col..col+out], which holds x·Wᵀ + b:
    /// ν = ‖W + scale·B·A‖ per row (no gradient), s = m/ν, u = x̃·Aᵀ (its own ops), l = scale·u·Bᵀ, z = x̃·Wᵀ (from y
    /// when x̃ is x, else its own product), then y += (s − 1)⊙z + s⊙l, peft's <c>DoraLinearLayer.forward</c>. Without
    /// dropout that is y = b + s⊙(x·Wᵀ + l).
    /// </summary>
    private static LowRank AddDecomposed(Tape tape, Variable x, Variable y, Parameter owner, ReadOnlySpan<float> bias, LoraAdapter lora, int col)
    {
        if (tape.Recording && owner.RequiresGrad)
            throw new InvalidOperationException($"{owner.Name}: a DoRA adapter trains on a frozen weight (freeze the base, as LoRA training does)");
        int n = y.Rows, r = lora.Rank, outF = lora.B.Shape[0], inF = x.Cols;
        bool drop = tape.Training && lora.Dropout > 0f;
        var input = drop ? Dropout(tape, x, lora.Dropout) : x;
        var u = Linear(tape, input, lora.A, null); // [n, r]
        var s = tape.Save(outF);
        var inverseNorm = tape.Save(outF);
        lora.MagnitudeScales(owner, s.Span, inverseNorm.Span); // m/ν and 1/ν, ν the row norms [out]
        var v = tape.Save(n * outF); // [n, out]: z, then z + l
        if (drop) Multiply(tape, input.Span, owner, default, v.Span, n);
        else
        {
            for (int i = 0; i < n; i++)
            {
                var yRow = y.Span.Slice(i * y.Cols + col, outF);
                if (bias.IsEmpty) yRow.CopyTo(v.Span.Slice(i * outF, outF));
                else TensorPrimitives.Subtract(yRow, bias[..outF], v.Span.Slice(i * outF, outF));
            }
        }
        var l = tape.Rent(n * outF);
        Blas.Sgemm(false, true, n, outF, r, lora.Scale, u.Span, r, lora.B.Data.Span, r, 0f, l, outF); // l = scale·u·Bᵀ
        for (int i = 0; i < n; i++)
        {
            var yRow = y.Span.Slice(i * y.Cols + col, outF);
            var vRow = v.Span.Slice(i * outF, outF);
            TensorPrimitives.Subtract(yRow, vRow, yRow);                        // y − z
            TensorPrimitives.Add(vRow, l.AsSpan(i * outF, outF), vRow);          // v = z + l
            TensorPrimitives.MultiplyAdd(vRow, s.Span, yRow, yRow);             // y − z + s⊙(z + l)
        }
        tape.Return(l);
        return new LowRank(lora, u, col, owner, new DoraSaved(input, s, inverseNorm, v));
    }

    // With g = s⊙dyₜ (dyₜ = dy[:, col..col+out]):  dm += Σ_rows dyₜ⊙v / ν;  dB += scale·gᵀ·u;  du = scale·g·B (u's ops
    // carry it to A and x̃);  dx̃ += ((s − 1)⊙dyₜ)·W (the base product's own dy·W reaches x in RecordLinear; with x̃ = x
    // the two add to (s⊙dyₜ)·W).
    private static void BackwardDecomposed(Tape tape, LowRank term, Variable y)
    {
        var (lora, u, col, owner, saved) = term;
        var (input, s, inverseNorm, v) = saved!;
        int n = y.Rows, r = lora.Rank, outF = lora.B.Shape[0], ldy = y.Cols;
        var dy = y.Grad;
        var g = tape.Rent(n * outF);
        if (lora.Magnitude!.RequiresGrad)
        {
            var sum = tape.Rent(outF);
            Array.Clear(sum, 0, outF);
            for (int i = 0; i < n; i++)
                TensorPrimitives.MultiplyAdd(dy.Slice(i * ldy + col, outF), v.Span.Slice(i * outF, outF), sum.AsSpan(0, outF), sum.AsSpan(0, outF));
            var dm = lora.Magnitude.Grad.Span;
            TensorPrimitives.MultiplyAdd(sum.AsSpan(0, outF), inverseNorm.Span, dm, dm);
            tape.Return(sum);
        }
        for (int i = 0; i < n; i++) TensorPrimitives.Multiply(dy.Slice(i * ldy + col, outF), s.Span, g.AsSpan(i * outF, outF));
        if (lora.B.RequiresGrad) Blas.Sgemm(true, false, outF, r, n, lora.Scale, g, outF, u.Span, r, 1f, lora.B.Grad.Span, r);
        tape.WriteGrad(u, du => Blas.Sgemm(false, false, n, r, outF, lora.Scale, g, outF, lora.B.Data.Span, r, 0f, du, r));
        if (input.RequiresGrad)
        {
            for (int i = 0; i < n; i++)
            {
                var gRow = g.AsSpan(i * outF, outF);
                TensorPrimitives.Subtract(gRow, dy.Slice(i * ldy + col, outF), gRow); // (s − 1)⊙dyₜ
            }
            tape.WriteGrad(input, dx => MultiplyBack(tape, owner, g, outF, n, dx, 0f));
        }
        tape.Return(g);
    }
}
