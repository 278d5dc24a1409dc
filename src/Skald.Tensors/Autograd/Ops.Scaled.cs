using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Affine-free LayerNorm over groups of <paramref name="group"/> columns, then a learned gain (1 + s) per column:
    /// y[r, j] = LN(x[r, group of j])[j] · (1 + s[j]) (no gain when <paramref name="scale"/> is null). GPT-BERT's norms
    /// (LayerNorm with elementwise_affine=False) followed by the input scale of its CastedLinearIn projections
    /// (F.linear(x, W ⊙ (1 + s)) = (x ⊙ (1 + s))·Wᵀ), its word_scale, and its per-head q_norm / k_norm with q_scale / k_scale
    /// ([H, D] flattened: group = D, s of H·D). s has x.Cols values; group divides x.Cols.
    /// Backward: dx̂ = dy ⊙ (1 + s), ds += Σ_rows dy ⊙ x̂, dx = LayerNorm's backward of dx̂ with gamma 1.
    /// </summary>
    public static Variable ScaledLayerNorm(Tape tape, Variable x, int group, float eps, Parameter? scale)
    {
        if (group <= 0 || x.Cols % group != 0) throw new ArgumentException($"groups of {group} do not divide rows of {x.Cols}");
        if (scale is not null && scale.Length != x.Cols)
            throw new ArgumentException($"{scale.Name}: {scale.Length} values for rows of {x.Cols}");
        int rows = x.Length / group;
        var mean = tape.Save(rows);
        var rstd = tape.Save(rows);
        var y = tape.NewVariable(x.Rows, x.Cols);
        var unit = UnitAffine(tape, group);
        LayerNorm.Forward(x.Span, unit.AsSpan(0, group), unit.AsSpan(group, group), y.Span, mean.Span, rstd.Span, rows,
            group, eps);
        tape.Return(unit);
        if (scale is not null)
        {
            var gain = Gain(tape, scale);
            var ys = y.Span;
            for (int r = 0; r < x.Rows; r++)
            {
                var row = ys.Slice(r * x.Cols, x.Cols);
                TensorPrimitives.Multiply(row, gain.AsSpan(0, x.Cols), row);
            }
            tape.Return(gain);
        }
        if (tape.Records(y)) RecordScaledLayerNorm(tape, x, group, scale, mean, rstd, y);
        return y;
    }

    private static void RecordScaledLayerNorm(Tape tape, Variable x, int group, Parameter? scale, Memory<float> mean,
        Memory<float> rstd, Variable y) => tape.Record(y, () =>
    {
        int rows = x.Length / group, cols = x.Cols;
        var dyArr = tape.Rent(x.Length);
        var dxh = dyArr.AsSpan(0, x.Length);
        y.Grad.CopyTo(dxh);
        if (scale is not null)
        {
            var gain = Gain(tape, scale);
            var ds = tape.ParameterGrad(scale);
            var acc = new double[cols];
            var xs = x.Span;
            var m = mean.Span;
            var s = rstd.Span;
            var dy = y.Grad;
            for (int r = 0; r < x.Rows; r++)
            {
                for (int j = 0; j < cols; j++)
                {
                    int i = r * cols + j, g = i / group;
                    acc[j] += (double)dy[i] * ((xs[i] - m[g]) * s[g]); // x̂ recomputed as the forward did
                }
                var row = dxh.Slice(r * cols, cols);
                TensorPrimitives.Multiply(row, gain.AsSpan(0, cols), row);
            }
            for (int j = 0; j < cols; j++) ds[j] += (float)acc[j];
            tape.Return(gain);
        }
        var unit = UnitAffine(tape, group);
        tape.WriteGrad(x, dx => LayerNorm.Backward(dyArr.AsSpan(0, x.Length), x.Span, unit.AsSpan(0, group), mean.Span, rstd.Span, dx, default,
            default, rows, group));
        tape.Return(unit);
        tape.Return(dyArr);
    });

    /// <summary>A rented buffer: <paramref name="n"/> ones then <paramref name="n"/> zeros (gamma and beta of no affine).</summary>
    private static float[] UnitAffine(Tape tape, int n)
    {
        var b = tape.Rent(2 * n);
        b.AsSpan(0, n).Fill(1f);
        b.AsSpan(n, n).Clear();
        return b;
    }

    /// <summary>A rented buffer holding 1 + s.</summary>
    private static float[] Gain(Tape tape, Parameter scale)
    {
        var g = tape.Rent(scale.Length);
        TensorPrimitives.Add(scale.Data.Span, 1f, g.AsSpan(0, scale.Length));
        return g;
    }

    /// <summary>
    /// GPT-BERT's learned mixing with the embedding output: y = g · ((1 − λ[i])·a + λ[i]·b), λ =
    /// <paramref name="lambdas"/>, g = softplus(λ[<paramref name="gainIndex"/>]) (1 when gainIndex is negative).
    /// a and b may be the same variable. Backward: da = g(1 − λᵢ)·dy, db = gλᵢ·dy, dλᵢ += g·Σ dy ⊙ (b − a),
    /// dλ_gain += σ(λ_gain)·Σ dy ⊙ ((1 − λᵢ)a + λᵢb) (sums in double).
    /// </summary>
    public static Variable Mix(Tape tape, Variable a, Variable b, Parameter lambdas, int index, int gainIndex = -1)
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols) throw new ArgumentException("shapes differ");
        if ((uint)index >= (uint)lambdas.Length || gainIndex >= lambdas.Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"{lambdas.Name} has {lambdas.Length} values");
        var l = lambdas.Data.Span;
        float lam = l[index], keep = 1f - lam;
        float gain = gainIndex < 0 ? 1f : Softplus(l[gainIndex]);
        var y = tape.NewVariable(a.Rows, a.Cols);
        MixValues(a.Span, b.Span, y.Span, keep, lam, gainIndex < 0 ? 1f : gain);
        if (tape.Records(y)) RecordMix(tape, a, b, lambdas, index, gainIndex, y);
        return y;
    }

    // y = g·(keep·a + λ·b): Vector256 products and sums, unfused, so every element rounds as the scalar expression does
    // (the gradient fixtures are tight); g = 1 skips the last product, as the scalar form did.
    private static void MixValues(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, float keep, float lam, float gain)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vk = Vector256.Create(keep);
            var vl = Vector256.Create(lam);
            var vg = Vector256.Create(gain);
            for (; i + 8 <= y.Length; i += 8)
            {
                var m = Vector256.Add(Vector256.Multiply(vk, Vector256.Create(a.Slice(i, 8))),
                    Vector256.Multiply(vl, Vector256.Create(b.Slice(i, 8))));
                (gain == 1f ? m : Vector256.Multiply(vg, m)).CopyTo(y.Slice(i, 8));
            }
        }
        for (; i < y.Length; i++)
        {
            float m = keep * a[i] + lam * b[i];
            y[i] = gain == 1f ? m : gain * m;
        }
    }

    private static void RecordMix(Tape tape, Variable a, Variable b, Parameter lambdas, int index, int gainIndex,
        Variable y) => tape.Record(y, () =>
    {
        var l = lambdas.Data.Span;
        float lam = l[index], keep = 1f - lam;
        float gain = gainIndex < 0 ? 1f : Softplus(l[gainIndex]);
        var dy = y.Grad;
        var av = a.Span;
        var bv = b.Span;
        double dl = 0, dg = 0;
        for (int i = 0; i < dy.Length; i++)
        {
            dl += (double)dy[i] * (bv[i] - av[i]);
            if (gainIndex >= 0) dg += (double)dy[i] * (keep * av[i] + lam * bv[i]);
        }
        var dp = tape.ParameterGrad(lambdas);
        dp[index] += (float)(gain * dl);
        if (gainIndex >= 0) dp[gainIndex] += (float)(dg / (1 + Math.Exp(-l[gainIndex])));
        tape.WriteGrad(a, da => TensorPrimitives.Multiply(y.Grad, gain * keep, da));
        tape.WriteGrad(b, db => TensorPrimitives.Multiply(y.Grad, gain * lam, db));
    });

    /// <summary>torch's softplus (β 1, threshold 20): log(1 + eˣ), x itself above 20.</summary>
    private static float Softplus(float x) => x > 20f ? x : (float)Math.Log(1 + Math.Exp(x));
}
