using System.Numerics.Tensors;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// RoPE (<see cref="Kernels.Rope"/>, row r at position r mod <paramref name="seq"/>) on the q and k columns of a fused
    /// qkv [B·T, 3C] (ModernBERT's Wqkv output: q, k, v of C = H·D columns each); the v columns pass through. The same
    /// values as rotating <c>Columns(qkv, 0, C)</c> and <c>Columns(qkv, C, C)</c> with <see cref="Rope(Tape, Variable, RopeTable, int)"/>,
    /// without the three column copies. When the tape does not record qkv (inference), qkv is rotated in place and
    /// returned, so it must have no other consumer; otherwise the result is a new variable and the backward pass rotates
    /// the q and k gradients back (angle −θ).
    /// </summary>
    public static Variable RopeQk(Tape tape, Variable qkv, RopeTable table, int seq)
    {
        int c = qkv.Cols / 3;
        if (qkv.Cols != 3 * c || c % table.HeadDim != 0)
            throw new ArgumentException($"qkv must be [B·T, 3C] with C a multiple of head_dim {table.HeadDim}, got {qkv.Cols} columns");
        var (cos, sin) = table.Get(seq);
        int rows = qkv.Rows, ld = 3 * c;
        if (!tape.Records(qkv))
        {
            Kernels.Rope.Forward(qkv.Span, qkv.Span, cos, sin, rows, seq, 2 * c, ld, table.HeadDim, table.RotaryDim);
            return qkv;
        }
        var y = tape.NewVariable(rows, ld);
        Kernels.Rope.Forward(qkv.Span, y.Span, cos, sin, rows, seq, 2 * c, ld, table.HeadDim, table.RotaryDim);
        CopyColumns(qkv.Span, y.Span, rows, ld, 2 * c, c);
        tape.Record(y, () => tape.WriteGrad(qkv, dx =>
        {
            Kernels.Rope.Backward(y.Grad, dx, cos, sin, rows, seq, 2 * c, ld, table.HeadDim, table.RotaryDim);
            CopyColumns(y.Grad, dx, rows, ld, 2 * c, c);
        }));
        return y;
    }

    /// <summary>
    /// <see cref="RopeQk(Tape, Variable, RopeTable, int)"/> on unpadded rows (<see cref="UnpaddedRows"/>): row r of qkv
    /// [N, 3C] is rotated to <paramref name="positions"/>[r], in place. Inference only (<see cref="RunsUnpadded"/>).
    /// </summary>
    public static Variable RopeQk(Tape tape, Variable qkv, RopeTable table, ReadOnlyMemory<int> positions)
    {
        RequireUnpadded(tape, "RopeQk");
        int c = qkv.Cols / 3;
        if (qkv.Cols != 3 * c || c % table.HeadDim != 0 || positions.Length != qkv.Rows)
            throw new ArgumentException($"qkv must be [N, 3C] with C a multiple of head_dim {table.HeadDim} and N = {positions.Length}, got [{qkv.Rows}, {qkv.Cols}]");
        int max = 0;
        foreach (int p in positions.Span) max = Math.Max(max, p);
        var (cos, sin) = table.Get(max + 1);
        Kernels.Rope.ForwardAt(qkv.Span, qkv.Span, cos, sin, positions.Span, 2 * c, 3 * c, table.HeadDim, table.RotaryDim);
        return qkv;
    }

    /// <summary>
    /// The q columns [0, C) of a fused qkv [N, 3C] times a per-row factor, <paramref name="factors"/>[r] for row r (GTE's
    /// logn_attention_scale: a sequence's queries times ln(L)/ln(P)); the k and v columns pass through. When the tape does
    /// not record qkv (inference), qkv is scaled in place and returned (no other consumer, as with <see cref="RopeQk(Tape, Variable, RopeTable, int)"/>);
    /// otherwise the result is a new variable and the q gradient is dy's times the same factor (the factors are constants).
    /// </summary>
    public static Variable ScaleQueries(Tape tape, Variable qkv, ReadOnlyMemory<float> factors)
    {
        int c = qkv.Cols / 3, rows = qkv.Rows;
        if (qkv.Cols != 3 * c || factors.Length != rows)
            throw new ArgumentException($"qkv must be [N, 3C] with N = {factors.Length} factors, got [{rows}, {qkv.Cols}]");
        if (!tape.Records(qkv))
        {
            ScaleColumns(qkv.Span, qkv.Span, factors.Span, rows, 3 * c, c);
            return qkv;
        }
        var y = tape.NewVariable(rows, 3 * c);
        qkv.Span.CopyTo(y.Span);
        ScaleColumns(y.Span, y.Span, factors.Span, rows, 3 * c, c);
        RecordScaleQueries(tape, qkv, factors, y);
        return y;
    }

    // ScaleQueries' backward, in a method of its own: captured parameters would allocate their closure on every call.
    private static void RecordScaleQueries(Tape tape, Variable qkv, ReadOnlyMemory<float> factors, Variable y) => tape.Record(y, () => tape.WriteGrad(qkv, dx =>
    {
        y.Grad.CopyTo(dx);
        ScaleColumns(y.Grad, dx, factors.Span, y.Rows, y.Cols, y.Cols / 3);
    }));

    /// <summary>y[r, 0..count) = x[r, 0..count) · f[r] for rows of stride ld; the other columns of y are left as they are.</summary>
    private static void ScaleColumns(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> f, int rows, int ld, int count)
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Multiply(x.Slice(r * ld, count), f[r], y.Slice(r * ld, count));
    }

    /// <summary>
    /// <see cref="FusedQkvAttention(Tape, Variable, ReadOnlyMemory{float}, int, int, int, AttentionScoring, float)"/> on
    /// unpadded rows: qkv [N, 3C] holds the real tokens of <paramref name="rows"/> back to back, each sequence attending
    /// to its own (windows count within the sequence). Inference only (<see cref="RunsUnpadded"/>). → [N, C].
    /// </summary>
    public static Variable FusedQkvAttention(Tape tape, Variable qkv, UnpaddedRows rows, int heads, AttentionScoring scoring)
    {
        RequireUnpadded(tape, "FusedQkvAttention");
        int c = qkv.Cols / 3, d = heads > 0 ? c / heads : 0;
        if (heads <= 0 || qkv.Cols != 3 * c || c != heads * d || qkv.Rows != rows.Count)
            throw new ArgumentException($"qkv must be [N, 3C] = [{rows.Count}, 3·H·D] (H {heads}), got [{qkv.Rows}, {qkv.Cols}]");
        var y = tape.NewVariable(qkv.Rows, c);
        var x = qkv.Span;
        Kernels.Attention.ForwardInferenceUnpadded(x, x[c..], x[(2 * c)..], y.Span, rows.Offsets,
            AttentionLayout.Dense(rows.Batch, rows.Longest, heads, heads, d) with { LdQ = 3 * c, LdKv = 3 * c }, scoring);
        return y;
    }

    /// <summary>
    /// Attention (<see cref="Kernels.Attention"/>) reading q, k, v in place from a fused qkv [B·T, 3C] (row stride 3C):
    /// the same as <see cref="DecoderAttention(Tape, Variable, Variable, Variable, ReadOnlyMemory{float}, int, int, int, int, AttentionScoring, float)"/> on <c>Columns(qkv, 0, C)</c>, <c>Columns(qkv, C, C)</c>,
    /// <c>Columns(qkv, 2C, C)</c> with H = Hkv = <paramref name="heads"/>, without the copies. Like
    /// <see cref="DecoderAttention(Tape, Variable, Variable, Variable, ReadOnlyMemory{float}, int, int, int, int, AttentionScoring, float)"/> it keeps the probabilities (the band under a window narrower than T) on every tape
    /// but a non-recording one with <see cref="Tape.DirectAttention"/>, so recording and unrecorded passes take the same
    /// kernel path. The backward pass writes dq, dk, dv into qkv's
    /// gradient. → [B·T, C].
    /// </summary>
    public static Variable FusedQkvAttention(Tape tape, Variable qkv, ReadOnlyMemory<float> maskBias, int batch, int seq,
        int heads, AttentionScoring scoring, float dropout = 0f)
    {
        int c = qkv.Cols / 3, d = heads > 0 ? c / heads : 0;
        if (heads <= 0 || qkv.Cols != 3 * c || c != heads * d || qkv.Rows != batch * seq)
            throw new ArgumentException($"qkv must be [B·T, 3C] with C = H·D (H {heads}), got [{qkv.Rows}, {qkv.Cols}]");
        var layout = AttentionLayout.For(batch, seq, heads, heads, d, scoring) with { LdQ = 3 * c, LdKv = 3 * c };
        var y = tape.NewVariable(qkv.Rows, c);
        if (UsesInferenceAttention(tape, y, dropout))
        {
            var x = qkv.Span;
            Kernels.Attention.ForwardInference(x, x[c..], x[(2 * c)..], maskBias.Span, y.Span, layout, scoring);
            return y;
        }
        var probs = tape.Save(checked((int)layout.ProbsLength));
        ulong seed = DropoutSeed(tape, dropout);
        var q = qkv.Span;
        Kernels.Attention.Forward(q, q[c..], q[(2 * c)..], maskBias.Span, y.Span, probs.Span, layout, scoring, dropout, seed);
        if (tape.Records(y))
        {
            tape.Record(y, () =>
            {
                if (!qkv.RequiresGrad) return;
                var g = ExclusiveGrad(tape, qkv, out bool scratch);
                var dq = g.AsSpan(0, qkv.Length);
                var x = qkv.Span;
                Kernels.Attention.Backward(y.Grad, x, x[c..], x[(2 * c)..], probs.Span, dq, dq[c..], dq[(2 * c)..], layout,
                    scoring, dropout, seed);
                Finish(tape, qkv, g, scratch);
            });
        }
        return y;
    }

    /// <summary>Copies columns [start, start + count) of rows with stride ld from x to y.</summary>
    private static void CopyColumns(ReadOnlySpan<float> x, Span<float> y, int rows, int ld, int start, int count)
    {
        for (int r = 0; r < rows; r++) x.Slice(r * ld + start, count).CopyTo(y.Slice(r * ld + start, count));
    }
}
