using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// HF BertSelfAttention on a fused qkv [B·T, 3C]: ctx[B·T, C] = dropout(softmax(Q·Kᵀ/√D + maskBias)) · V per head.
    /// maskBias: [B·T] additive key mask (0 keeps, float.MinValue removes). Both passes are the kernel's
    /// <see cref="Kernels.Attention"/> per (sequence, head) work item; with dropout (seeded from <see cref="Tape.Random"/>)
    /// the probabilities are masked before P·V, as HF applies attention_probs_dropout_prob, the mask of probability i
    /// being <see cref="Kernels.Dropout"/>'s for (seed, i) and regenerated in backward. A pass that does not record and
    /// has no dropout keeps no probabilities.
    /// </summary>
    public static Variable Attention(Tape tape, Variable qkv, ReadOnlyMemory<float> maskBias, int batch, int seq,
        int heads, float dropout)
    {
        int c = qkv.Cols / 3, d = c / heads, n = batch * seq;
        if (qkv.Cols != 3 * c || c != heads * d || qkv.Rows != n) throw new ArgumentException("qkv must be [B·T, 3C] with C = H·D");
        int pCount = batch * heads * seq * seq;
        var ctx = tape.NewVariable(n, c);
        // [B, H, T, T] only when a backward pass or the dropout path reads it; inference keeps one block of query rows
        // at a time (the kernel's blocked path).
        var probs = tape.Records(ctx) || dropout > 0f ? tape.Save(pCount) : Memory<float>.Empty;
        var q = qkv.Span;
        ulong seed = DropoutSeed(tape, dropout);
        if (UsesInferenceAttention(tape, ctx, dropout))
        {
            Kernels.Attention.ForwardInference(q, q[c..], q[(2 * c)..], maskBias.Span, ctx.Span, Layout(batch, seq, heads, d),
                new AttentionScoring(1f / MathF.Sqrt(d)));
            return ctx;
        }
        Kernels.Attention.Forward(q, q[c..], q[(2 * c)..], maskBias.Span, ctx.Span, probs.Span, Layout(batch, seq, heads, d),
            new AttentionScoring(1f / MathF.Sqrt(d)), dropout, seed);
        if (tape.Records(ctx)) RecordAttention(tape, qkv, probs, ctx, batch, seq, heads, dropout, seed);
        return ctx;
    }

    /// <summary>
    /// <see cref="Attention(Tape, Variable, ReadOnlyMemory{float}, int, int, int, float)"/> on unpadded rows: qkv
    /// [N, 3C] holds the real tokens of <paramref name="rows"/> back to back, and each sequence attends to its own
    /// tokens only, which is what the padded op computes for real tokens with the padding masked. Inference only
    /// (<see cref="RunsUnpadded"/>): it keeps no probabilities and records nothing.
    /// </summary>
    public static Variable Attention(Tape tape, Variable qkv, UnpaddedRows rows, int heads)
    {
        int d = heads > 0 ? qkv.Cols / 3 / heads : 0;
        // The fused-QKV op over unpadded rows with BERT's scores (1/√d, no mask beyond the sequence): one kernel call.
        return FusedQkvAttention(tape, qkv, rows, heads, new AttentionScoring(1f / MathF.Sqrt(Math.Max(d, 1))));
    }

    /// <summary>
    /// Whether a pass on <paramref name="tape"/> may run unpadded (<see cref="UnpaddedRows"/>): it records nothing,
    /// the tape asks for <see cref="Tape.DirectAttention"/> (an encoder's inference tape) and there is no dropout.
    /// </summary>
    public static bool RunsUnpadded(Tape tape, float dropout) => tape.DirectAttention && !tape.Recording && dropout == 0f;

    /// <summary>The guard of the ops over <see cref="UnpaddedRows"/>: one line unless <see cref="RunsUnpadded"/> holds.</summary>
    private static void RequireUnpadded(Tape tape, string op)
    {
        if (!RunsUnpadded(tape, 0f))
            throw new InvalidOperationException($"{op} over unpadded rows runs on a non-recording tape with DirectAttention only");
    }

    private static void RecordAttention(Tape tape, Variable qkv, Memory<float> probs, Variable ctx, int batch, int seq,
        int heads, float dropout, ulong seed) => tape.Record(ctx, () =>
    {
        if (!qkv.RequiresGrad) return;
        int c = qkv.Cols / 3, d = c / heads;
        var g = tape.GradFor(qkv, out bool acc);
        if (acc) throw new InvalidOperationException("attention's qkv input must have no other consumer");
        var dq = g.AsSpan(0, qkv.Length);
        var q = qkv.Span;
        Kernels.Attention.Backward(ctx.Grad, q, q[c..], q[(2 * c)..], probs.Span, dq, dq[c..], dq[(2 * c)..],
            Layout(batch, seq, heads, d), new AttentionScoring(1f / MathF.Sqrt(d)), dropout, seed);
    });

    /// <summary>BERT's layout on a fused qkv: q, k, v rows of stride 3C, the context rows of stride C.</summary>
    private static AttentionLayout Layout(int batch, int seq, int heads, int d) =>
        new(batch, seq, heads, heads, d, 3 * heads * d, 3 * heads * d, heads * d);

    /// <summary>
    /// Whether an attention op producing <paramref name="y"/> runs <see cref="Kernels.Attention.ForwardInference"/>:
    /// a pass that does not record it, on a tape with <see cref="Tape.DirectAttention"/>, without dropout.
    /// </summary>
    private static bool UsesInferenceAttention(Tape tape, Variable y, float dropout) =>
        tape.DirectAttention && !tape.Records(y) && dropout == 0f;
}
