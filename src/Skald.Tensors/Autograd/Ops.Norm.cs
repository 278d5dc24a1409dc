using System.Numerics.Tensors;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// BertEmbeddings: y = dropout(LayerNorm(word[id] + position[pos] + type[tt])). ids, positions, typeIds: [n].
    /// Gradients scatter-add into the three tables and the LayerNorm affine parameters.
    /// </summary>
    public static Variable Embeddings(Tape tape, int[] ids, int[] positions, int[] typeIds, Parameter word,
        Parameter position, Parameter type, Parameter gamma, Parameter beta, float eps, float dropout)
    {
        int n = ids.Length, c = word.Shape[1];
        var sum = tape.Save(n * c); // [n, C]
        var s = sum.Span;
        int maxPos = position.Shape[0], types = type.Shape[0];
        for (int i = 0; i < n; i++)
        {
            if ((uint)positions[i] >= (uint)maxPos) throw new ArgumentException($"position {positions[i]} is outside the {maxPos} positions");
            if ((uint)typeIds[i] >= (uint)types) throw new ArgumentException($"token type {typeIds[i]} is outside the {types} types");
            var dst = s.Slice(i * c, c);
            TableRow(word, ids[i], dst);
            AddTableRow(position, positions[i], dst);
            AddTableRow(type, typeIds[i], dst);
        }
        // peft's Embedding LoRA on any of the three tables, added before the LayerNorm.
        var wordU = word.Lora is { Embedding: true } wl ? AddTableLowRank(tape, ids, wl, word, s) : null;
        var positionU = position.Lora is { Embedding: true } pl ? AddTableLowRank(tape, positions, pl, position, s) : null;
        var typeU = type.Lora is { Embedding: true } tl ? AddTableLowRank(tape, typeIds, tl, type, s) : null;
        var mean = tape.Save(n);
        var rstd = tape.Save(n);
        var y = tape.NewVariable(n, c);
        LayerNorm.Forward(s, gamma.Data.Span, beta.Data.Span, y.Span, mean.Span, rstd.Span, n, c, eps);
        ulong seed = DropoutSeed(tape, dropout);
        if (dropout > 0f) Kernels.Dropout.Apply(y.Span, y.Span, dropout, seed);
        if (tape.Records(y))
        {
            (int[], Parameter, TableTerm?)[]? lowRanks =
                word.Lora is { Embedding: true } || position.Lora is { Embedding: true } || type.Lora is { Embedding: true }
                    ? [(ids, word, wordU), (positions, position, positionU), (typeIds, type, typeU)] : null;
            RecordEmbeddings(tape, ids, positions, typeIds, word, position, type, gamma, beta, sum, mean, rstd, dropout, seed, lowRanks, y);
        }
        return y;
    }

    /// <summary>destination += row <paramref name="id"/> of <paramref name="table"/> (float32, bfloat16 or float16).</summary>
    private static void AddTableRow(Parameter table, int id, Span<float> destination)
    {
        int c = destination.Length;
        if (table.Precision == WeightPrecision.Float32)
        {
            TensorPrimitives.Add(destination, table.Data.Span.Slice(id * c, c), destination);
            return;
        }
        var row = table.Bits16.Span.Slice(id * c, c);
        if (table.Precision == WeightPrecision.Float16)
        {
            for (int j = 0; j < c; j++) destination[j] += F16.ToSingle(row[j]);
        }
        else
        {
            for (int j = 0; j < c; j++) destination[j] += Bf16.ToSingle(row[j]);
        }
    }

    private static void RecordEmbeddings(Tape tape, int[] ids, int[] positions, int[] typeIds, Parameter word,
        Parameter position, Parameter type, Parameter gamma, Parameter beta, Memory<float> sum, Memory<float> mean,
        Memory<float> rstd, float dropout, ulong seed, (int[] Ids, Parameter Table, TableTerm? U)[]? lowRanks, Variable y) => tape.Record(y, () =>
    {
        int n = ids.Length, c = word.Shape[1];
        var dyArr = tape.Rent(n * c);
        var dsArr = tape.Rent(n * c);
        var dy = dyArr.AsSpan(0, n * c);
        var ds = dsArr.AsSpan(0, n * c);
        Kernels.Dropout.Apply(y.Grad, dy, dropout, seed);
        LayerNorm.Backward(dy, sum.Span, gamma.Data.Span, mean.Span, rstd.Span, ds, tape.ParameterGrad(gamma), tape.ParameterGrad(beta), n, c);
        if (word.RequiresGrad) Embedding.Backward(ids, ds, word.Grad.Span, n, c);
        if (position.RequiresGrad) Embedding.Backward(positions, ds, position.Grad.Span, n, c);
        if (type.RequiresGrad) Embedding.Backward(typeIds, ds, type.Grad.Span, n, c);
        foreach (var (tableIds, table, u) in lowRanks ?? [])
        {
            if (table.Lora is { Embedding: true } lora) BackwardTableLowRank(tape, tableIds, lora, u!, ds);
        }
        tape.Return(dyArr);
        tape.Return(dsArr);
    });

    /// <summary>
    /// BertSelfOutput / BertOutput: y = LayerNorm(dropout(a) + residual). Works in place over <paramref name="a"/>
    /// (which must have no other consumer; its values become the LayerNorm input).
    /// </summary>
    public static Variable AddDropoutLayerNorm(Tape tape, Variable a, Variable residual, Parameter gamma, Parameter beta,
        float eps, float dropout)
    {
        int n = a.Rows, c = a.Cols;
        ulong seed = DropoutSeed(tape, dropout);
        var mean = tape.Save(n);
        var rstd = tape.Save(n);
        var y = tape.NewVariable(n, c);
        LayerNorm.AddDropoutForward(a.Span, residual.Span, gamma.Data.Span, beta.Data.Span, y.Span, mean.Span, rstd.Span, n, c,
            eps, dropout, seed);
        if (tape.Records(y)) RecordAddDropoutLayerNorm(tape, a, residual, gamma, beta, mean, rstd, dropout, seed, y);
        return y;
    }

    private static void RecordAddDropoutLayerNorm(Tape tape, Variable a, Variable residual, Parameter gamma,
        Parameter beta, Memory<float> mean, Memory<float> rstd, float dropout, ulong seed, Variable y) => tape.Record(y, () =>
    {
        int n = a.Rows, c = a.Cols;
        var g = tape.GradFor(a, out bool acc);
        if (acc) throw new InvalidOperationException("AddDropoutLayerNorm's first input must have no other consumer");
        var ds = g.AsSpan(0, a.Length);
        bool racc = false;
        var r = residual.RequiresGrad ? tape.GradFor(residual, out racc).AsSpan(0, residual.Length) : default;
        // The residual's gradient (a copy of ds, or added) and a's (ds with the forward's dropout mask), row by row in
        // the LayerNorm backward's own pass.
        LayerNorm.AddDropoutBackward(y.Grad, a.Span, gamma.Data.Span, mean.Span, rstd.Span, ds, r, racc,
            tape.ParameterGrad(gamma), tape.ParameterGrad(beta), n, c, dropout, seed);
    });

    /// <summary>y = LayerNorm(x) over rows; a null <paramref name="beta"/> is a LayerNorm without bias (y = x̂ ⊙ gamma).</summary>
    public static Variable LayerNormalization(Tape tape, Variable x, Parameter gamma, Parameter? beta, float eps)
    {
        int n = x.Rows, c = x.Cols;
        var mean = tape.Save(n);
        var rstd = tape.Save(n);
        var y = tape.NewVariable(n, c);
        LayerNorm.Forward(x.Span, gamma.Data.Span, beta is null ? default : beta.Data.Span, y.Span, mean.Span, rstd.Span, n, c, eps);
        if (tape.Records(y)) RecordLayerNormalization(tape, x, gamma, beta, mean, rstd, y);
        return y;
    }

    private static void RecordLayerNormalization(Tape tape, Variable x, Parameter gamma, Parameter? beta,
        Memory<float> mean, Memory<float> rstd, Variable y) => tape.Record(y, () =>
    {
        if (x.RequiresGrad)
        {
            tape.WriteGrad(x, dx => LayerNorm.Backward(y.Grad, x.Span, gamma.Data.Span, mean.Span, rstd.Span, dx,
                tape.ParameterGrad(gamma), beta is null ? default : tape.ParameterGrad(beta), x.Rows, x.Cols));
            return;
        }
        LayerNorm.Backward(y.Grad, x.Span, gamma.Data.Span, mean.Span, rstd.Span, default, tape.ParameterGrad(gamma),
            beta is null ? default : tape.ParameterGrad(beta), x.Rows, x.Cols);
    });

    /// <summary>sentence-transformers' Normalize (F.normalize): y = x / max(‖x‖₂, 1e-12) per row (<see cref="L2Normalize"/>).</summary>
    public static Variable Normalize(Tape tape, Variable x)
    {
        var norms = tape.Save(x.Rows);
        var y = tape.NewVariable(x.Rows, x.Cols);
        L2Normalize.Forward(x.Span, y.Span, norms.Span, x.Rows, x.Cols);
        if (tape.Records(y)) RecordNormalize(tape, x, norms, y);
        return y;
    }

    private static void RecordNormalize(Tape tape, Variable x, Memory<float> norms, Variable y) =>
        tape.Record(y, () => tape.WriteGrad(x, dx => L2Normalize.Backward(y.Span, norms.Span, y.Grad, dx, x.Rows, x.Cols)));
}
