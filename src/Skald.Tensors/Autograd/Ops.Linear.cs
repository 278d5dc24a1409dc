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
    /// false) gets no gradient. A bfloat16 weight (<see cref="WeightPrecision.BFloat16"/>) is widened by the GEMM; it
    /// cannot be trained through (a recording pass throws).
    /// </summary>
    public static Variable Linear(Tape tape, Variable x, Parameter weight, Parameter? bias)
    {
        int n = x.Rows, inF = x.Cols, outF = weight.Shape[0];
        if (weight.Shape.Length != 2 || weight.Shape[1] != inF)
            throw new ArgumentException($"{weight.Name}: shape [{string.Join(", ", weight.Shape)}] does not take {inF} inputs");
        var y = tape.NewVariable(n, outF);
        var b = bias is null ? default : bias.Data.Span;
        if (weight.Precision == WeightPrecision.BFloat16)
        {
            Kernels.Linear.Forward(x.Span, weight.BFloat16Data.Span, b, y.Span, n, inF, outF);
            if (tape.Records(y)) weight.EnsureTrainable();
        }
        else
        {
            Kernels.Linear.Forward(x.Span, weight.Data.Span, b, y.Span, n, inF, outF);
            if (tape.Records(y)) RecordLinear(tape, x, weight, bias, y);
        }
        if (weight.Lora is { } lora) y = AddLowRank(tape, x, y, lora, 0);
        var parts = weight.Parts;
        for (int i = 0; i < parts.Count; i++) // (indexed: no enumerator on the inference path)
        {
            if (parts[i].Lora is { } partLora) y = AddLowRank(tape, x, y, partLora, parts[i].RowOffset);
        }
        return y;
    }

    // LoRA: y[:, col..col+out] += scale·(dropout(x)·Aᵀ)·Bᵀ, [n, in] → [n, r] → [n, out]
    private static Variable AddLowRank(Tape tape, Variable x, Variable y, LoraAdapter lora, int col)
    {
        var u = Linear(tape, Dropout(tape, x, tape.Training ? lora.Dropout : 0f), lora.A, null); // [n, r]
        var v = Linear(tape, u, lora.B, null);                                                   // [n, out]
        return v.Cols == y.Cols ? AddScaled(tape, y, v, lora.Scale) : AddColumnsScaled(tape, y, v, col, lora.Scale);
    }

    // dx = dy · W;  dW += dyᵀ · x;  db += Σ_rows dy
    private static void RecordLinear(Tape tape, Variable x, Parameter weight, Parameter? bias, Variable y) => tape.Record(y, () =>
    {
        int n = x.Rows, inF = x.Cols, outF = weight.Shape[0];
        var dy = y.Grad;
        if (x.RequiresGrad)
        {
            var g = tape.GradFor(x, out bool acc);
            Blas.Sgemm(false, false, n, inF, outF, 1f, dy, outF, weight.Data.Span, inF, acc ? 1f : 0f, g, inF);
        }
        if (weight.RequiresGrad) Blas.Sgemm(true, false, outF, inF, n, 1f, dy, outF, x.Span, inF, 1f, weight.Grad.Span, inF);
        if (bias is { RequiresGrad: true }) AddRowSums(dy, bias.Grad.Span, n, outF);
    });

    private static void AddRowSums(ReadOnlySpan<float> dy, Span<float> db, int n, int cols)
    {
        for (int r = 0; r < n; r++) TensorPrimitives.Add(db, dy.Slice(r * cols, cols), db);
    }
}
