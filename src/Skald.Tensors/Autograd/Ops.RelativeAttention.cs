using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// LTG-BERT's disentangled relative-position attention (<see cref="Kernels.RelativeAttention"/>): qk [B·T, 2C] (the
    /// in_proj_qk output of the hidden states), v [B·T, C], pos [R, 2C] (in_proj_qk of the LayerNorm'd relative
    /// embeddings), idx [T, T] the bucket of every (query, key) pair → context [B·T, C]. maskBias: [B·T] additive key
    /// mask (0 keeps, float.MinValue removes a padded key). <paramref name="dropout"/> &gt; 0 drops the probabilities
    /// (one seed from <see cref="Tape.Random"/>, the mask regenerated in backward). Gradients flow into qk, v and pos.
    /// </summary>
    public static Variable RelativeAttention(Tape tape, Variable qk, Variable v, Variable pos, int[] idx,
        ReadOnlyMemory<float> maskBias, int batch, int seq, int heads, float dropout = 0f)
    {
        int c = v.Cols, d = c / heads, r = pos.Rows;
        if (c != heads * d || qk.Cols != 2 * c || pos.Cols != 2 * c || qk.Rows != batch * seq || v.Rows != qk.Rows)
            throw new ArgumentException("qk must be [B·T, 2C], v [B·T, C] and pos [R, 2C] with C = H·D");
        float scale = 1f / MathF.Sqrt(3f * d);
        var probs = tape.Save(batch * heads * seq * seq); // [B, H, T, T]
        var y = tape.NewVariable(qk.Rows, c);
        ulong seed = DropoutSeed(tape, dropout);
        Kernels.RelativeAttention.Forward(qk.Span, v.Span, pos.Span, idx, maskBias.Span, y.Span, probs.Span, batch, seq,
            heads, d, r, scale, dropout, seed);
        if (tape.Records(y)) RecordRelativeAttention(tape, qk, v, pos, idx, probs, batch, seq, heads, dropout, seed, y);
        return y;
    }

    /// <summary>
    /// <see cref="RelativeAttention(Tape, Variable, Variable, Variable, int[], ReadOnlyMemory{float}, int, int, int, float)"/>
    /// on unpadded rows: qk [N, 2C] and v [N, C] hold the real tokens of <paramref name="rows"/> back to back; each
    /// sequence of length L attends to its own tokens with the buckets <paramref name="indices"/>(L) [L, L] and no key
    /// mask. Inference only (<see cref="RunsUnpadded"/>): one kernel call per sequence, the probabilities in a scratch
    /// buffer that is returned. → [N, C].
    /// </summary>
    public static Variable RelativeAttention(Tape tape, Variable qk, Variable v, Variable pos, Func<int, int[]> indices,
        UnpaddedRows rows, int heads)
    {
        RequireUnpadded(tape, "RelativeAttention");
        int c = v.Cols, d = c / heads, r = pos.Rows;
        if (c != heads * d || qk.Cols != 2 * c || pos.Cols != 2 * c || qk.Rows != rows.Count || v.Rows != qk.Rows)
            throw new ArgumentException("qk must be [N, 2C], v [N, C] and pos [R, 2C] with C = H·D");
        float scale = 1f / MathF.Sqrt(3f * d);
        var y = tape.NewVariable(qk.Rows, c);
        int longest = rows.Longest;
        float[] probs = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(1, heads * longest * longest));
        float[] mask = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(1, longest));
        Array.Clear(mask, 0, longest);
        try
        {
            for (int b = 0; b < rows.Batch; b++)
            {
                int r0 = rows.Offsets[b], len = rows.Offsets[b + 1] - r0;
                if (len == 0) continue;
                Kernels.RelativeAttention.Forward(qk.Span.Slice(r0 * 2 * c, len * 2 * c), v.Span.Slice(r0 * c, len * c), pos.Span,
                    indices(len), mask.AsSpan(0, len), y.Span.Slice(r0 * c, len * c), probs.AsSpan(0, heads * len * len), 1, len,
                    heads, d, r, scale);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(probs);
            System.Buffers.ArrayPool<float>.Shared.Return(mask);
        }
        return y;
    }

    private static void RecordRelativeAttention(Tape tape, Variable qk, Variable v, Variable pos, int[] idx,
        Memory<float> probs, int batch, int seq, int heads, float dropout, ulong seed, Variable y) => tape.Record(y, () =>
    {
        int c = v.Cols, d = c / heads;
        float scale = 1f / MathF.Sqrt(3f * d);
        var dqk = tape.Rent(qk.Length);
        var dv = tape.Rent(v.Length);
        var dpos = tape.Rent(pos.Length);
        Kernels.RelativeAttention.Backward(y.Grad, qk.Span, v.Span, pos.Span, idx, probs.Span, dqk, dv, dpos, batch, seq,
            heads, d, pos.Rows, scale, dropout, seed);
        AddGrad(tape, qk, dqk);
        AddGrad(tape, v, dv);
        AddGrad(tape, pos, dpos);
        tape.Return(dqk);
        tape.Return(dv);
        tape.Return(dpos);
    });

    /// <summary>Copies (or adds) a computed gradient into <paramref name="x"/>'s gradient.</summary>
    private static void AddGrad(Tape tape, Variable x, float[] grad) =>
        tape.WriteGrad(x, dx => grad.AsSpan(0, x.Length).CopyTo(dx));

    /// <summary>
    /// A gated activation on the [x; gate] halves of one GEMM's output, value half first: y = x ⊙ f(gate), xGate
    /// [n, 2I] → [n, I]; f is gelu_new (LTG-BERT's GeGLU, upstream's <c>x, gate = chunk(2)</c>) unless
    /// <paramref name="f"/> says otherwise (GTE's up_gate_proj: exact gelu). The halves are the other way round from
    /// <see cref="GatedActivation"/>'s [gate; up], so they are swapped into a saved buffer and that kernel runs.
    /// </summary>
    public static Variable GeGluValueFirst(Tape tape, Variable xGate, GateFunction f = GateFunction.GeluTanh)
    {
        if (xGate.Cols % 2 != 0) throw new ArgumentException("xGate must be [n, 2I]");
        int n = xGate.Rows, inter = xGate.Cols / 2;
        var swapped = tape.Save(xGate.Length); // [n, 2I] = [gate; x]
        SwapHalves(xGate.Span, swapped.Span, n, inter);
        var y = tape.NewVariable(n, inter);
        Kernels.GatedActivation.Forward(swapped.Span, y.Span, n, inter, f);
        if (tape.Records(y)) RecordGeGluValueFirst(tape, xGate, swapped, f, y);
        return y;
    }

    // GeGluValueFirst's backward, in a method of its own: captured parameters would allocate their closure on every call,
    // recording or not.
    private static void RecordGeGluValueFirst(Tape tape, Variable xGate, Memory<float> swapped, GateFunction f, Variable y) =>
        tape.Record(y, () => tape.WriteGrad(xGate, dx =>
        {
            int n = xGate.Rows, inter = xGate.Cols / 2;
            var tmp = tape.Rent(xGate.Length);
            Kernels.GatedActivation.Backward(swapped.Span, y.Grad, tmp, n, inter, f);
            SwapHalves(tmp, dx, n, inter);
            tape.Return(tmp);
        }));

    /// <summary>Row-wise [a; b] → [b; a] for rows of two halves of <paramref name="half"/> columns.</summary>
    private static void SwapHalves(ReadOnlySpan<float> x, Span<float> y, int rows, int half)
    {
        for (int i = 0; i < rows; i++)
        {
            var src = x.Slice(i * 2 * half, 2 * half);
            var dst = y.Slice(i * 2 * half, 2 * half);
            src[..half].CopyTo(dst[half..]);
            src[half..].CopyTo(dst[..half]);
        }
    }

    /// <summary>
    /// LayerNorm without affine parameters (torch's elementwise_affine=False): y = (x − mean)·rstd over rows.
    /// <paramref name="ones"/> and <paramref name="zeros"/> are [cols] buffers of 1 and 0 that the caller keeps.
    /// </summary>
    public static Variable PlainLayerNorm(Tape tape, Variable x, float[] ones, float[] zeros, float eps)
    {
        int n = x.Rows, c = x.Cols;
        var mean = tape.Save(n);
        var rstd = tape.Save(n);
        var y = tape.NewVariable(n, c);
        LayerNorm.Forward(x.Span, ones, zeros, y.Span, mean.Span, rstd.Span, n, c, eps);
        if (tape.Records(y)) RecordPlainLayerNorm(tape, x, ones, mean, rstd, y);
        return y;
    }

    // PlainLayerNorm's backward, in a method of its own (see RecordGeGluValueFirst).
    private static void RecordPlainLayerNorm(Tape tape, Variable x, float[] ones, Memory<float> mean, Memory<float> rstd,
        Variable y) =>
        tape.Record(y, () => tape.WriteGrad(x, dx =>
            LayerNorm.Backward(y.Grad, x.Span, ones, mean.Span, rstd.Span, dx, default, default, x.Rows, x.Cols)));
}
