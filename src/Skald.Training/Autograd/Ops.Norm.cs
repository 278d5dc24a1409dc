using System.Numerics.Tensors;
using Skald.Tensors;
using Skald.Tensors.Kernels;

namespace Skald.Training.Autograd;

public static partial class Ops
{
    /// <summary>
    /// BertEmbeddings: y = dropout(LayerNorm(word[id] + position[pos] + type[tt])). ids, positions, typeIds: [n].
    /// Gradients scatter-add into the three tables and the LayerNorm affine parameters.
    /// </summary>
    public static Variable Embeddings(Tape tape, int[] ids, int[] positions, int[] typeIds, Parameter word,
        Parameter position, Parameter type, Parameter gamma, Parameter beta, float eps, float dropout, SkaldRandom? random)
    {
        int n = ids.Length, c = word.Shape[1];
        var sum = tape.Save(n * c);
        var s = sum.Span;
        int vocab = word.Shape[0], maxPos = position.Shape[0], types = type.Shape[0];
        for (int i = 0; i < n; i++)
        {
            if ((uint)ids[i] >= (uint)vocab) throw new ArgumentException($"token id {ids[i]} is outside the vocabulary of {vocab}");
            if ((uint)positions[i] >= (uint)maxPos) throw new ArgumentException($"position {positions[i]} is outside the {maxPos} positions");
            if ((uint)typeIds[i] >= (uint)types) throw new ArgumentException($"token type {typeIds[i]} is outside the {types} types");
            var dst = s.Slice(i * c, c);
            word.Data.AsSpan(ids[i] * c, c).CopyTo(dst);
            TensorPrimitives.Add(dst, position.Data.AsSpan(positions[i] * c, c), dst);
            TensorPrimitives.Add(dst, type.Data.AsSpan(typeIds[i] * c, c), dst);
        }
        var mean = tape.Save(n);
        var rstd = tape.Save(n);
        var y = tape.NewVariable(n, c);
        LayerNorm.Forward(s, gamma.Data, beta.Data, y.Span, mean.Span, rstd.Span, n, c, eps);
        ulong seed = DropoutSeed(dropout, random);
        if (dropout > 0f) HashDropout.Apply(y.Span, y.Span, dropout, seed);
        tape.Record(y, () =>
        {
            var dyArr = tape.Rent(n * c);
            var dsArr = tape.Rent(n * c);
            var dy = dyArr.AsSpan(0, n * c);
            var ds = dsArr.AsSpan(0, n * c);
            HashDropout.Apply(y.Grad, dy, dropout, seed);
            LayerNorm.Backward(dy, sum.Span, gamma.Data, mean.Span, rstd.Span, ds, gamma.Grad, beta.Grad, n, c);
            Embedding.Backward(ids, ds, word.Grad, n, c);
            Embedding.Backward(positions, ds, position.Grad, n, c);
            Embedding.Backward(typeIds, ds, type.Grad, n, c);
            tape.Return(dyArr);
            tape.Return(dsArr);
        });
        return y;
    }

    /// <summary>
    /// BertSelfOutput / BertOutput: y = LayerNorm(dropout(a) + residual). Works in place over <paramref name="a"/>
    /// (which must have no other consumer; its values become the LayerNorm input).
    /// </summary>
    public static Variable AddDropoutLayerNorm(Tape tape, Variable a, Variable residual, Parameter gamma, Parameter beta,
        float eps, float dropout, SkaldRandom? random)
    {
        int n = a.Rows, c = a.Cols;
        ulong seed = DropoutSeed(dropout, random);
        var s = a.Span;
        if (dropout > 0f) HashDropout.Apply(s, s, dropout, seed);
        TensorPrimitives.Add(s, residual.Span, s);
        var mean = tape.Save(n);
        var rstd = tape.Save(n);
        var y = tape.NewVariable(n, c);
        LayerNorm.Forward(s, gamma.Data, beta.Data, y.Span, mean.Span, rstd.Span, n, c, eps);
        tape.Record(y, () =>
        {
            var g = tape.GradFor(a, out bool acc);
            if (acc) throw new InvalidOperationException("AddDropoutLayerNorm's first input must have no other consumer");
            var ds = g.AsSpan(0, a.Length);
            LayerNorm.Backward(y.Grad, a.Span, gamma.Data, mean.Span, rstd.Span, ds, gamma.Grad, beta.Grad, n, c);
            if (residual.RequiresGrad)
            {
                var r = tape.GradFor(residual, out bool racc).AsSpan(0, residual.Length);
                if (racc) TensorPrimitives.Add(r, ds, r);
                else ds.CopyTo(r);
            }
            if (dropout > 0f) HashDropout.Apply(ds, ds, dropout, seed);
        });
        return y;
    }

    /// <summary>y = LayerNorm(x) over rows.</summary>
    public static Variable LayerNormalization(Tape tape, Variable x, Parameter gamma, Parameter beta, float eps)
    {
        int n = x.Rows, c = x.Cols;
        var mean = tape.Save(n);
        var rstd = tape.Save(n);
        var y = tape.NewVariable(n, c);
        LayerNorm.Forward(x.Span, gamma.Data, beta.Data, y.Span, mean.Span, rstd.Span, n, c, eps);
        tape.Record(y, () => tape.WriteGrad(x, dx =>
            LayerNorm.Backward(y.Grad, x.Span, gamma.Data, mean.Span, rstd.Span, dx, gamma.Grad, beta.Grad, n, c)));
        return y;
    }

    /// <summary>sentence-transformers' Normalize (F.normalize): y = x / max(‖x‖₂, 1e-12) per row.</summary>
    public static Variable Normalize(Tape tape, Variable x)
    {
        int rows = x.Rows, d = x.Cols;
        var norms = tape.Save(rows);
        var y = tape.NewVariable(rows, d);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Span.Slice(r * d, d);
            float norm = TensorPrimitives.Norm(xr);
            norms.Span[r] = norm;
            TensorPrimitives.Divide(xr, MathF.Max(norm, 1e-12f), y.Span.Slice(r * d, d));
        }
        tape.Record(y, () => tape.WriteGrad(x, dx => NormalizeBackward(y.Span, norms.Span, y.Grad, dx, rows, d)));
        return y;
    }

    /// <summary>dx = (dy − y·(y·dy)) / ‖x‖ (or dy / 1e-12 where the norm was clamped).</summary>
    internal static void NormalizeBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> norms, ReadOnlySpan<float> dy,
        Span<float> dx, int rows, int d)
    {
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * d, d);
            var dyr = dy.Slice(r * d, d);
            var dxr = dx.Slice(r * d, d);
            if (norms[r] > 1e-12f)
            {
                float dot = TensorPrimitives.Dot(yr, dyr);
                TensorPrimitives.MultiplyAdd(yr, -dot, dyr, dxr);
                TensorPrimitives.Divide(dxr, norms[r], dxr);
            }
            else
            {
                TensorPrimitives.Divide(dyr, 1e-12f, dxr);
            }
        }
    }

    private static ulong DropoutSeed(float dropout, SkaldRandom? random)
    {
        if (!(dropout >= 0f && dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout));
        return dropout > 0f ? (random ?? throw new ArgumentNullException(nameof(random))).NextUInt64() : 0UL;
    }
}
