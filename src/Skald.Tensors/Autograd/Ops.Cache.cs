using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Rotary position embeddings at explicit positions (<see cref="Kernels.Rope.ForwardAt(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, int)"/>): row r of x [N, H·D] is
    /// the token at <paramref name="positions"/>[r] (a decoding step's new tokens, a left-padded row's real-token
    /// positions). Returns a new variable.
    /// </summary>
    public static Variable Rope(Tape tape, Variable x, RopeTable table, ReadOnlyMemory<int> positions)
    {
        if (positions.Length != x.Rows) throw new ArgumentException($"{positions.Length} positions for {x.Rows} rows");
        int max = 0;
        foreach (int p in positions.Span) max = Math.Max(max, p);
        var (cos, sin) = table.Get(max + 1);
        var y = tape.NewVariable(x.Rows, x.Cols);
        Kernels.Rope.ForwardAt(x.Span, y.Span, cos, sin, positions.Span, x.Cols, table.HeadDim, table.RotaryDim);
        if (tape.Records(y)) RecordRopeAt(tape, x, table, cos, sin, positions, y);
        return y;
    }

    // Rope's backward, in a method of its own: captured parameters would allocate their closure on every call, recording or not.
    private static void RecordRopeAt(Tape tape, Variable x, RopeTable table, float[] cos, float[] sin, ReadOnlyMemory<int> positions,
        Variable y) =>
        tape.Record(y, () => tape.WriteGrad(x, dx =>
            Kernels.Rope.BackwardAt(y.Grad, dx, cos, sin, positions.Span, x.Cols, table.HeadDim, table.RotaryDim)));

    /// <summary>
    /// Causal attention of the new tokens q [B·Tn, H·D] against a key/value cache [B, Hkv, Capacity, D]
    /// (<see cref="CachedAttention"/>; the new tokens' keys and values already appended) → [B·Tn, H·D].
    /// Inference only: a recording tape is refused (training runs whole sequences through
    /// <see cref="DecoderAttention(Tape, Variable, Variable, Variable, ReadOnlyMemory{float}, int, int, int, int, AttentionScoring, float)"/>).
    /// </summary>
    public static Variable CachedAttention(Tape tape, Variable q, ReadOnlyMemory<float> keys, ReadOnlyMemory<float> values,
        ReadOnlyMemory<float> keyBias, KvCacheLayout layout, AttentionScoring scoring)
    {
        if (tape.Recording) throw new InvalidOperationException("cached attention runs on a non-recording tape only.");
        if (q.Rows != layout.Batch * layout.NewTokens || q.Cols != layout.Heads * layout.HeadDim)
            throw new ArgumentException($"q must be [B·Tn, H·D] = [{layout.Batch * layout.NewTokens}, {layout.Heads * layout.HeadDim}]");
        var y = tape.NewVariable(q.Rows, q.Cols);
        Kernels.CachedAttention.Forward(q.Span, keys.Span, values.Span, keyBias.Span, y.Span, layout, scoring);
        return y;
    }
}
