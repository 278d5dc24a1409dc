using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// HF BertSelfAttention on a fused qkv [B·T, 3C]: ctx[B·T, C] = dropout(softmax(Q·Kᵀ/√D + maskBias)) · V per head.
    /// maskBias: [B·T] additive key mask (0 keeps, float.MinValue removes). Without dropout this is the kernel's
    /// <see cref="Kernels.Attention"/>'s BERT Forward/Backward; with dropout (seeded from
    /// <see cref="Tape.Random"/>) the probabilities are masked (mask regenerated in backward) before P·V, as HF applies
    /// attention_probs_dropout_prob. A pass that does not record and has no dropout keeps no probabilities.
    /// </summary>
    public static Variable Attention(Tape tape, Variable qkv, ReadOnlyMemory<float> maskBias, int batch, int seq,
        int heads, float dropout)
    {
        int c = qkv.Cols / 3, d = c / heads, n = batch * seq;
        if (qkv.Cols != 3 * c || c != heads * d || qkv.Rows != n) throw new ArgumentException("qkv must be [B·T, 3C] with C = H·D");
        float scale = 1f / MathF.Sqrt(d);
        int pCount = batch * heads * seq * seq;
        var ctx = tape.NewVariable(n, c);
        // [B, H, T, T] only when a backward pass or the dropout path reads it; inference keeps one block of query rows
        // at a time (the kernel's blocked path).
        var probs = tape.Records(ctx) || dropout > 0f ? tape.Save(pCount) : Memory<float>.Empty;
        var q = qkv.Span;
        Kernels.Attention.Forward(q, q[c..], q[(2 * c)..], 3 * c, maskBias.Span, ctx.Span, probs.Span, batch, seq, heads,
            d, scale);
        ulong seed = DropoutSeed(tape, dropout);
        if (dropout > 0f)
        {
            var pd = tape.Rent(pCount);
            Kernels.Dropout.Apply(probs.Span, pd, dropout, seed);
            ProbsTimesV(pd, qkv.Span, ctx.Span, batch, seq, heads, d);
            tape.Return(pd);
        }
        if (tape.Records(ctx)) RecordAttention(tape, qkv, probs, ctx, batch, seq, heads, dropout, seed);
        return ctx;
    }

    private static void RecordAttention(Tape tape, Variable qkv, Memory<float> probs, Variable ctx, int batch, int seq,
        int heads, float dropout, ulong seed) => tape.Record(ctx, () =>
    {
        if (!qkv.RequiresGrad) return;
        int c = qkv.Cols / 3, d = c / heads;
        float scale = 1f / MathF.Sqrt(d);
        var g = tape.GradFor(qkv, out bool acc);
        if (acc) throw new InvalidOperationException("attention's qkv input must have no other consumer");
        var dq = g.AsSpan(0, qkv.Length);
        var q = qkv.Span;
        if (dropout == 0f)
        {
            Kernels.Attention.Backward(ctx.Grad, q, q[c..], q[(2 * c)..], 3 * c, probs.Span, dq, dq[c..], dq[(2 * c)..],
                batch, seq, heads, d, scale);
            return;
        }
        BackwardWithDropout(tape, ctx.Grad, q, probs.Span, dq, batch, seq, heads, d, scale, dropout, seed);
    });

    /// <summary>ctx[b, t, h] = Σ_s P[b, h, t, s] · V[b, s, h] for a fused qkv buffer.</summary>
    private static void ProbsTimesV(ReadOnlySpan<float> p, ReadOnlySpan<float> qkv, Span<float> ctx, int batch, int seq,
        int heads, int d)
    {
        int c = heads * d, tt = seq * seq;
        for (int b = 0; b < batch; b++)
        {
            Blas.SgemmBatched(false, false, seq, d, seq, 1f, p[(b * heads * tt)..], seq, tt,
                qkv[(b * seq * 3 * c + 2 * c)..], 3 * c, d, 0f, ctx[(b * seq * c)..], c, d, heads);
        }
    }

    private static void BackwardWithDropout(Tape tape, ReadOnlySpan<float> dctx, ReadOnlySpan<float> qkv,
        ReadOnlySpan<float> probs, Span<float> dqkv, int batch, int seq, int heads, int d, float scale, float dropout,
        ulong seed)
    {
        int c = heads * d, tt = seq * seq, pCount = batch * heads * tt, ld = 3 * c;
        var pdArr = tape.Rent(pCount);
        var dsArr = tape.Rent(pCount);
        var pd = pdArr.AsSpan(0, pCount);
        var ds = dsArr.AsSpan(0, pCount);
        Kernels.Dropout.Apply(probs, pd, dropout, seed);
        for (int b = 0; b < batch; b++)
        {
            int pOff = b * heads * tt, rowOff = b * seq * ld;
            var dO = dctx[(b * seq * c)..];
            // dV = Pdᵀ · dO;  dPd = dO · Vᵀ
            Blas.SgemmBatched(true, false, seq, d, seq, 1f, pd[pOff..], seq, tt, dO, c, d, 0f,
                dqkv[(rowOff + 2 * c)..], ld, d, heads);
            Blas.SgemmBatched(false, true, seq, seq, d, 1f, dO, c, d, qkv[(rowOff + 2 * c)..], ld, d, 0f,
                ds[pOff..], seq, tt, heads);
        }
        // dP = dPd ⊙ mask, dS = P ⊙ (dP − rowsum(dP ⊙ P))
        Kernels.Dropout.Apply(ds, ds, dropout, seed);
        Softmax.Backward(probs[..pCount], ds, ds, batch * heads * seq, seq);
        for (int b = 0; b < batch; b++)
        {
            int pOff = b * heads * tt, rowOff = b * seq * ld;
            // dQ = scale · dS · K;  dK = scale · dSᵀ · Q
            Blas.SgemmBatched(false, false, seq, d, seq, scale, ds[pOff..], seq, tt, qkv[(rowOff + c)..], ld, d, 0f,
                dqkv[rowOff..], ld, d, heads);
            Blas.SgemmBatched(true, false, seq, d, seq, scale, ds[pOff..], seq, tt, qkv[rowOff..], ld, d, 0f,
                dqkv[(rowOff + c)..], ld, d, heads);
        }
        tape.Return(pdArr);
        tape.Return(dsArr);
    }
}
