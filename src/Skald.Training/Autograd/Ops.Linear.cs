using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Training.Autograd;

/// <summary>
/// Differentiable ops on a <see cref="Tape"/>. Each computes its result with the engine's kernels and, when the tape
/// records, appends a backward closure built from the kernels' backward functions.
/// </summary>
public static partial class Ops
{
    /// <summary>y[n, out] = x[n, in] · Wᵀ + b (W: [out, in], as PyTorch). <paramref name="bias"/> may be null.</summary>
    public static Variable Linear(Tape tape, Variable x, Parameter weight, Parameter? bias)
    {
        int n = x.Rows, inF = x.Cols, outF = weight.Shape[0];
        if (weight.Shape.Length != 2 || weight.Shape[1] != inF)
            throw new ArgumentException($"{weight.Name}: shape [{string.Join(", ", weight.Shape)}] does not take {inF} inputs");
        var y = tape.NewVariable(n, outF);
        Tensors.Kernels.Linear.Forward(x.Span, weight.Data, bias is null ? default : bias.Data, y.Span, n, inF, outF);
        tape.Record(y, () =>
        {
            var dy = y.Grad;
            if (x.RequiresGrad)
            {
                var g = tape.GradFor(x, out bool acc);
                Blas.Sgemm(false, false, n, inF, outF, 1f, dy, outF, weight.Data, inF, acc ? 1f : 0f, g, inF);
            }
            Blas.Sgemm(true, false, outF, inF, n, 1f, dy, outF, x.Span, inF, 1f, weight.Grad, inF);
            if (bias is not null) AddRowSums(dy, bias.Grad, n, outF);
        });
        return y;
    }

    /// <summary>
    /// Several linear maps of the same input written side by side: y[n, Σ outᵢ] = [x·W₀ᵀ + b₀ | x·W₁ᵀ + b₁ | ...]
    /// (BERT's query/key/value as one [n, 3C] buffer the attention kernel reads in place).
    /// </summary>
    public static Variable LinearConcat(Tape tape, Variable x, IReadOnlyList<Parameter> weights, IReadOnlyList<Parameter> biases)
    {
        int n = x.Rows, inF = x.Cols, total = 0;
        var offsets = new int[weights.Count];
        for (int i = 0; i < weights.Count; i++)
        {
            if (weights[i].Shape[1] != inF) throw new ArgumentException($"{weights[i].Name} does not take {inF} inputs");
            offsets[i] = total;
            total += weights[i].Shape[0];
        }
        var y = tape.NewVariable(n, total);
        var ys = y.Span;
        for (int r = 0; r < n; r++)
        {
            for (int i = 0; i < weights.Count; i++) biases[i].Data.CopyTo(ys.Slice(r * total + offsets[i], biases[i].Data.Length));
        }
        for (int i = 0; i < weights.Count; i++)
        {
            int o = weights[i].Shape[0];
            Blas.Sgemm(false, true, n, o, inF, 1f, x.Span, inF, weights[i].Data, inF, 1f, ys[offsets[i]..], total);
        }
        tape.Record(y, () =>
        {
            var dy = y.Grad;
            bool acc = false;
            float[]? g = x.RequiresGrad ? tape.GradFor(x, out acc) : null;
            for (int i = 0; i < weights.Count; i++)
            {
                int o = weights[i].Shape[0];
                var dyi = dy[offsets[i]..];
                if (g is not null)
                    Blas.Sgemm(false, false, n, inF, o, 1f, dyi, total, weights[i].Data, inF, acc || i > 0 ? 1f : 0f, g, inF);
                Blas.Sgemm(true, false, o, inF, n, 1f, dyi, total, x.Span, inF, 1f, weights[i].Grad, inF);
                var db = biases[i].Grad.AsSpan();
                for (int r = 0; r < n; r++) TensorPrimitives.Add(db, dy.Slice(r * total + offsets[i], o), db);
            }
        });
        return y;
    }

    private static void AddRowSums(ReadOnlySpan<float> dy, Span<float> db, int n, int cols)
    {
        for (int r = 0; r < n; r++) TensorPrimitives.Add(db, dy.Slice(r * cols, cols), db);
    }
}
