using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Autograd;

/// <summary>
/// Differentiable ops on a <see cref="Tape"/>. Each computes its result with the engine's kernels and, only when the
/// tape records, appends a backward closure built from the kernels' backward functions (in a separate Record… method,
/// so a pass that does not record creates no closure).
/// </summary>
public static partial class Ops
{
    /// <summary>
    /// y[n, out] = x[n, in] · Wᵀ + b (W: [out, in], as PyTorch). <paramref name="bias"/> may be null. A stacked
    /// parameter (<see cref="Parameter.Stack"/>) computes all its parts in one GEMM. A weight with a LoRA adapter
    /// (<see cref="Parameter.Lora"/>) adds scale·(dropout(x)·Aᵀ)·Bᵀ; a frozen weight (<see cref="Parameter.RequiresGrad"/>
    /// false) gets no gradient. On a tape in training mode (<see cref="Tape.Training"/>) the float32 products, forward
    /// and backward, are formed on AMX hosts from six bfloat16 terms where SKALD_AMX_FP32=1 asks for it (<see cref="Quantization.SixTermProducts"/>). A 16-bit weight (<see cref="WeightPrecision.BFloat16"/>, <see cref="WeightPrecision.Float16"/>)
    /// is widened by the GEMM, forward and backward; it is frozen (no gradient of its own) but passes the gradient on to x,
    /// so LoRA adapters train on a 16-bit base. On a tape with <see cref="Tape.PackWeights"/> that does not
    /// record, a float32 weight is read from its pre-packed copy (the same result, bit for bit; on AMX hosts formed from six bfloat16 terms, <see cref="Quantization.SixTermGemm"/>); with
    /// <see cref="Tape.QuantizeLinear"/> it is multiplied in int8 instead (<see cref="Quantization.Int8Gemm"/>), as an
    /// int8-only weight (<see cref="Parameter.IsInt8Only"/>) always is there; a packed-only weight
    /// (<see cref="Parameter.IsPackedOnly"/>) is always read packed there; on a recording tape a packed-only weight
    /// throws, while an int8-only one is multiplied dequantised (float32 Scales[j]·q[j, k], forward and backward, as
    /// QLoRA computes in the dequantised type): frozen, it passes the gradient on, so LoRA adapters train on an int8 base.
    /// With <see cref="Tape.Bf16Linear"/> (a tape that does not record) a weight that is not int8-only is multiplied in
    /// bfloat16 before any of these (<see cref="Quantization.Bf16Gemm"/>; float32 where the CPU has no AVX512-BF16), as a
    /// bf16-only weight (<see cref="Parameter.IsBf16Only"/>) always is there; with <see cref="Tape.KeepBf16Only"/> too the
    /// weight then keeps only its bfloat16 panels.
    /// </summary>
    public static Variable Linear(Tape tape, Variable x, Parameter weight, Parameter? bias)
    {
        int n = x.Rows, inF = x.Cols, outF = weight.Shape[0];
        if (weight.Shape.Length != 2 || weight.Shape[1] != inF)
            throw new ArgumentException($"{weight.Name}: shape [{string.Join(", ", weight.Shape)}] does not take {inF} inputs");
        var y = tape.NewVariable(n, outF);
        var b = bias is null ? default : bias.Data.Span;
        if ((tape.Bf16Linear || weight.IsBf16Only) && !tape.Recording && Quantization.Bf16Weights.For(weight, tape.KeepBf16Only) is { } bf16)
        {
            Quantization.Bf16Gemm.Linear(x.Span, bf16, b, y.Span, n); // bfloat16 weights and activations, float32 sums
        }
        else if (weight.Precision == WeightPrecision.Float32 && (tape.QuantizeLinear || weight.IsInt8Only) && !tape.Recording
            && Quantization.Int8Weights.For(weight, tape.KeepInt8Only) is { } int8)
        {
            Quantization.Int8Gemm.Linear(x.Span, int8, b, y.Span, n); // int8 weights, activations quantised per row
        }
        else if (weight.Precision == WeightPrecision.Float32 && (tape.PackWeights || weight.IsPackedOnly) && !tape.Recording
            && weight.PackedForLinear(tape) is { } packed)
        {
            using var precision = new Quantization.MatmulPrecisionScope(tape); // Tape.Float32Matmul
            Kernels.Linear.Forward(x.Span, weight.ValuesIfHeld, packed, b, y.Span, n, inF, outF);
        }
        else if (tape.FewRowLinear > DotGemm.MaxRows && n <= tape.FewRowLinear)
        {
            int was = DotGemm.Allow(tape.FewRowLinear); // this product on the few-row path, as its fewer-row steps
            try
            {
                Multiply(tape, x.Span, weight, b, y.Span, n);
            }
            finally
            {
                DotGemm.Restore(was);
            }
        }
        else
        {
            Multiply(tape, x.Span, weight, b, y.Span, n); // float32 values, 16-bit widened, int8-only dequantised
        }
        LowRank[]? adapters = null;
        if (weight.Lora is { Embedding: false } lora) adapters = AddLowRank(tape, x, y, weight, b, lora, 0, adapters); // (not a tied table's)
        var parts = weight.Parts;
        for (int i = 0; i < parts.Count; i++) // (indexed: no enumerator on the inference path)
        {
            if (parts[i].Lora is { } partLora)
                adapters = AddLowRank(tape, x, y, parts[i], b.IsEmpty ? b : b[parts[i].RowOffset..], partLora, parts[i].RowOffset, adapters);
        }
        if (tape.Records(y)) RecordLinear(tape, x, weight, bias, adapters, y);
        return y;
    }

    /// <summary>
    /// A LoRA term of one Linear: its adapter, u = dropout(x)·Aᵀ [n, r], the first output column it adds to, the weight
    /// (or stacked part) it is on, and with DoRA what its backward needs.
    /// </summary>
    private readonly record struct LowRank(LoraAdapter Lora, Variable U, int Col, Parameter Owner, DoraSaved? Dora);

    // LoRA, in place: u = dropout(x)·Aᵀ [n, r] (its own ops), then y[:, col..col+out] += scale·u·Bᵀ (one GEMM, beta 1);
    // DoRA: AddDecomposed.
    private static LowRank[] AddLowRank(Tape tape, Variable x, Variable y, Parameter owner, ReadOnlySpan<float> bias, LoraAdapter lora,
        int col, LowRank[]? adapters)
    {
        if (lora.Magnitude is not null) return [.. adapters ?? [], AddDecomposed(tape, x, y, owner, bias, lora, col)];
        var u = Linear(tape, Dropout(tape, x, tape.Training ? lora.Dropout : 0f), lora.A, null); // [n, r]
        int n = y.Rows, r = lora.Rank, outF = lora.B.Shape[0];
        Blas.Sgemm(false, true, n, outF, r, lora.Scale, u.Span, r, lora.B.Data.Span, r, 1f, y.Span[col..], y.Cols);
        return [.. adapters ?? [], new LowRank(lora, u, col, owner, null)];
    }

    /// <summary>
    /// y[n, out] = x[n, in]·Wᵀ + b for a weight a recording pass can multiply: float32 values, 16-bit bits (widened by
    /// the GEMM) or an int8-only weight dequantised for this product. <paramref name="bias"/> may be empty.
    /// </summary>
    private static void Multiply(Tape tape, ReadOnlySpan<float> x, Parameter weight, ReadOnlySpan<float> bias, Span<float> y, int n)
    {
        // A training-mode pass's product (recording or not: GradCache's first pass and a checkpointed layer's must match
        // the recording one's) is training's: on AMX hosts formed from six bfloat16 terms (Quantization.SixTermProducts).
        int was = tape.Training ? Quantization.SixTermProducts.Enter() : -1;
        try
        {
            MultiplyValues(tape, x, weight, bias, y, n);
        }
        finally
        {
            if (was >= 0) Quantization.SixTermProducts.Restore(was);
        }
    }

    private static void MultiplyValues(Tape tape, ReadOnlySpan<float> x, Parameter weight, ReadOnlySpan<float> bias, Span<float> y, int n)
    {
        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (weight.Precision != WeightPrecision.Float32)
        {
            Kernels.Linear.Forward(x, weight.Bits16.Span, weight.Precision, bias, y, n, inF, outF);
        }
        else if (weight.IsInt8Only)
        {
            var w = tape.Rent(outF * inF); // [out, in] dequantised, for this product only
            weight.DequantizeInt8(w);
            Kernels.Linear.Forward(x, w.AsSpan(0, outF * inF), bias, y, n, inF, outF);
            tape.Return(w);
        }
        else
        {
            Kernels.Linear.Forward(x, weight.Values.Span, bias, y, n, inF, outF);
        }
    }

    /// <summary>
    /// g[n, in] = beta·g + dy[n, out]·W (the input gradient through <paramref name="weight"/> [out, in], dy's rows
    /// <paramref name="ldy"/> apart): float32 values, 16-bit widened by the GEMM, int8-only dequantised.
    /// </summary>
    private static void MultiplyBack(Tape tape, Parameter weight, ReadOnlySpan<float> dy, int ldy, int n, Span<float> g, float beta)
    {
        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (weight.IsInt8Only)
        {
            var w = tape.Rent(outF * inF);
            weight.DequantizeInt8(w);
            Blas.Sgemm(false, false, n, inF, outF, 1f, dy, ldy, w, inF, beta, g, inF);
            tape.Return(w);
        }
        else if (weight.Precision == WeightPrecision.Float32)
            Blas.Sgemm(false, false, n, inF, outF, 1f, dy, ldy, weight.Values.Span, inF, beta, g, inF);
        else
            Blas.Sgemm16(weight.Precision, false, false, n, inF, outF, 1f, dy, ldy, weight.Bits16.Span, inF, beta, g, inF);
    }

    // dx = dy · W (a 16-bit W widened by the GEMM, an int8 one dequantised);  dW += dyᵀ · x (never for 16-bit W: frozen);  db += Σ_rows dy;  per LoRA term (dyₜ = dy[:, col..col+out]):
    // dB += scale·dyₜᵀ·u;  du = scale·dyₜ·B (u's own ops carry it on to A and x); a DoRA term: BackwardDecomposed.
    private static void RecordLinear(Tape tape, Variable x, Parameter weight, Parameter? bias, LowRank[]? adapters, Variable y) =>
        tape.Record(y, () =>
        {
            int n = x.Rows, inF = x.Cols, outF = weight.Shape[0];
            var dy = y.Grad;
            foreach (var term in adapters ?? [])
            {
                if (term.Dora is not null)
                {
                    BackwardDecomposed(tape, term, y);
                    continue;
                }
                var (lora, u, col, _, _) = term;
                int r = lora.Rank, outPart = lora.B.Shape[0];
                if (lora.B.RequiresGrad)
                    Blas.Sgemm(true, false, outPart, r, n, lora.Scale, dy[col..], outF, u.Span, r, 1f, lora.B.Grad.Span, r);
                tape.WriteGrad(u, du => Blas.Sgemm(false, false, n, r, outPart, lora.Scale, y.Grad[col..], outF, lora.B.Data.Span, r, 0f, du, r));
            }
            int was = tape.Training ? Quantization.SixTermProducts.Enter() : -1; // training's products, as in Multiply
            try
            {
                if (x.RequiresGrad)
                {
                    var g = tape.GradFor(x, out bool acc);
                    MultiplyBack(tape, weight, dy, outF, n, g, acc ? 1f : 0f);
                }
                if (weight.RequiresGrad) AccumulateWeightGrad(tape, dy, x.Span, weight.Grad.Span, n, outF, inF);
            }
            finally
            {
                if (was >= 0) Quantization.SixTermProducts.Restore(was);
            }
            if (bias is { RequiresGrad: true }) AddRowSums(dy, bias.Grad.Span, n, outF);
        });

    /// <summary>dW[outF, inF] += dyᵀ·x over a step's rows (<see cref="Kernels.WeightGradient"/>: its rows in chunks the
    /// threads claim, the partials from the tape's pool).</summary>
    private static void AccumulateWeightGrad(Tape tape, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, int n,
        int outF, int inF)
    {
        long need = Kernels.WeightGradient.ScratchLength(n, outF, inF);
        if (need > Array.MaxLength)
        {
            Blas.Sgemm(true, false, outF, inF, n, 1f, dy, outF, x, inF, 1f, dw, inF); // (partials too large for an array)
            return;
        }
        float[]? scratch = need > 0 ? tape.Rent((int)need) : null;
        Kernels.WeightGradient.Accumulate(dy, outF, x, dw, n, outF, inF, scratch);
        if (scratch is not null) tape.Return(scratch);
    }

    /// <summary>db[cols] += Σ_rows dy[n, cols]: row blocks in parallel, their partials added in block order (the same
    /// bytes at any thread count).</summary>
    private static unsafe void AddRowSums(ReadOnlySpan<float> dy, Span<float> db, int n, int cols)
    {
        float[] sum = System.Buffers.ArrayPool<float>.Shared.Rent(cols);
        fixed (float* pdy = dy)
        {
            nint idy = (nint)pdy;
            Parallelism.ForReduce(n, Math.Max(1, 16384 / Math.Max(cols, 1)), cols, sum, (r0, r1, partial) =>
            {
                for (int r = r0; r < r1; r++)
                    TensorPrimitives.Add(partial, new ReadOnlySpan<float>((float*)idy + (long)r * cols, cols), partial);
            });
        }
        TensorPrimitives.Add(db[..cols], sum.AsSpan(0, cols), db[..cols]);
        System.Buffers.ArrayPool<float>.Shared.Return(sum);
    }
}
