using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Autograd;

/// <summary>
/// The three steps of sentence-transformers' SparseAutoEncoder (CSR, "Beyond Matryoshka"), its encoder and decoder
/// sharing one weight W [H, D] (the decoder is the encoder's transpose):
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/models/SparseAutoEncoder.py
/// </summary>
public static partial class Ops
{
    /// <summary>
    /// encode_pre_act: pre [B, H] = (x [B, D] − pre_bias [D]) · Wᵀ + latent_bias [H]. Backward, with c = x − pre_bias:
    /// dW += dpreᵀ·c; dlatent_bias += Σ_rows dpre; dc = dpre·W; dx += dc; dpre_bias −= Σ_rows dc.
    /// </summary>
    public static Variable AutoEncode(Tape tape, Variable x, Parameter preBias, Parameter weight, Parameter latentBias)
    {
        int n = x.Rows, d = x.Cols, h = weight.Shape[0];
        if (weight.Shape.Length != 2 || weight.Shape[1] != d || preBias.Length != d || latentBias.Length != h)
            throw new ArgumentException($"{weight.Name}: [{string.Join(", ", weight.Shape)}] with biases [{preBias.Length}], [{latentBias.Length}] does not take {d} inputs");
        var centred = tape.Save(n * d); // c = x − pre_bias [B, D], kept for dW
        var xs = x.Span;
        var pb = preBias.Values.Span;
        var cs = centred.Span;
        for (int r = 0; r < n; r++) TensorPrimitives.Subtract(xs.Slice(r * d, d), pb, cs.Slice(r * d, d));
        var pre = tape.NewVariable(n, h);
        Kernels.Linear.Forward(cs, weight.Values.Span, latentBias.Values.Span, pre.Span, n, d, h);
        if (tape.Records(pre)) RecordAutoEncode(tape, x, preBias, weight, latentBias, centred, pre);
        return pre;
    }

    private static void RecordAutoEncode(Tape tape, Variable x, Parameter preBias, Parameter weight, Parameter latentBias,
        Memory<float> centred, Variable pre) =>
        tape.Record(pre, () =>
        {
            int n = x.Rows, d = x.Cols, h = weight.Shape[0];
            var dpre = pre.Grad;
            if (weight.RequiresGrad) Blas.Sgemm(true, false, h, d, n, 1f, dpre, h, centred.Span, d, 1f, weight.Grad.Span, d);
            if (latentBias.RequiresGrad) AddRowSums(dpre, latentBias.Grad.Span, n, h);
            if (!x.RequiresGrad && !preBias.RequiresGrad) return;
            var dc = tape.Rent(n * d);
            Blas.Sgemm(false, false, n, d, h, 1f, dpre, h, weight.Values.Span, d, 0f, dc, d);
            if (x.RequiresGrad)
            {
                var g = tape.GradFor(x, out bool acc);
                if (acc) TensorPrimitives.Add(g.AsSpan(0, n * d), dc.AsSpan(0, n * d), g.AsSpan(0, n * d));
                else dc.AsSpan(0, n * d).CopyTo(g);
            }
            if (preBias.RequiresGrad)
            {
                var sum = tape.Rent(d);
                sum.AsSpan(0, d).Clear();
                AddRowSums(dc, sum, n, d);
                TensorPrimitives.Subtract(preBias.Grad.Span, sum.AsSpan(0, d), preBias.Grad.Span);
                tape.Return(sum);
            }
            tape.Return(dc);
        });

    /// <summary>
    /// top_k: each row of <paramref name="pre"/> [B, H] keeps the rectified <paramref name="k"/> largest values (among the
    /// entries <paramref name="allowed"/> [H] marks, when given), zeros elsewhere (<see cref="Kernels.TopK"/>). Backward:
    /// dpre += dy where y &gt; 0.
    /// </summary>
    public static Variable TopKRelu(Tape tape, Variable pre, int k, bool[]? allowed = null)
    {
        int n = pre.Rows, h = pre.Cols;
        if (allowed is not null && allowed.Length != h) throw new ArgumentException($"the mask has {allowed.Length} entries, the rows {h}");
        var y = tape.NewVariable(n, h);
        var scratch = tape.Rent(h);
        var ps = pre.Span;
        var ys = y.Span;
        for (int r = 0; r < n; r++)
            Kernels.TopK.Forward(ps.Slice(r * h, h), k, allowed, scratch, ys.Slice(r * h, h));
        tape.Return(scratch);
        if (tape.Records(y) && pre.RequiresGrad)
        {
            tape.Record(y, () =>
            {
                var g = tape.GradFor(pre, out bool acc);
                if (!acc) g.AsSpan(0, n * h).Clear();
                Kernels.TopK.Backward(y.Span, y.Grad[..(n * h)], g.AsSpan(0, n * h));
            });
        }
        return y;
    }

    /// <summary>
    /// decode: x̂ [B, D] = latents [B, H] · W [H, D] + pre_bias (the tied decoder, F.linear(z, Wᵀ)). Backward:
    /// dlatents = dx̂·Wᵀ; dW += latentsᵀ·dx̂; dpre_bias += Σ_rows dx̂.
    /// </summary>
    public static Variable TiedDecode(Tape tape, Variable latents, Parameter weight, Parameter preBias)
    {
        int n = latents.Rows, h = latents.Cols, d = weight.Shape[1];
        if (weight.Shape[0] != h || preBias.Length != d)
            throw new ArgumentException($"{weight.Name}: [{string.Join(", ", weight.Shape)}] does not decode {h} latents into {preBias.Length} values");
        var y = tape.NewVariable(n, d);
        var ys = y.Span;
        Blas.Sgemm(false, false, n, d, h, 1f, latents.Span, h, weight.Values.Span, d, 0f, ys, d);
        var pb = preBias.Values.Span;
        for (int r = 0; r < n; r++) TensorPrimitives.Add(ys.Slice(r * d, d), pb, ys.Slice(r * d, d));
        if (tape.Records(y))
        {
            tape.Record(y, () =>
            {
                var dy = y.Grad;
                if (latents.RequiresGrad)
                {
                    var g = tape.GradFor(latents, out bool acc);
                    Blas.Sgemm(false, true, n, h, d, 1f, dy, d, weight.Values.Span, d, acc ? 1f : 0f, g, h);
                }
                if (weight.RequiresGrad) Blas.Sgemm(true, false, h, d, n, 1f, latents.Span, h, dy, d, 1f, weight.Grad.Span, d);
                if (preBias.RequiresGrad) AddRowSums(dy, preBias.Grad.Span, n, d);
            });
        }
        return y;
    }
}
