using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// RMSNorm (<see cref="Kernels.RmsNorm"/>): y = x·r ⊙ (weightOffset + w), r = 1/√(mean(x²) + eps), over groups of
    /// w.Length columns: w.Length = x.Cols normalises whole rows (input_layernorm), w.Length = D a row of H heads head by
    /// head (Qwen3's and Gemma 3's q_norm / k_norm). weightOffset 1 is Gemma's (1 + w).
    /// </summary>
    public static Variable RmsNorm(Tape tape, Variable x, Parameter weight, float eps, float weightOffset = 0f)
    {
        int cols = weight.Length;
        if (x.Cols % cols != 0) throw new ArgumentException($"{weight.Name}: {cols} values do not divide rows of {x.Cols}");
        int rows = x.Length / cols;
        var rstd = tape.Save(rows);
        var y = tape.NewVariable(x.Rows, x.Cols);
        Kernels.RmsNorm.Forward(x.Span, weight.Data.Span, y.Span, rstd.Span, rows, cols, eps, weightOffset);
        if (tape.Records(y)) RecordRmsNorm(tape, x, weight, rstd, weightOffset, y);
        return y;
    }

    private static void RecordRmsNorm(Tape tape, Variable x, Parameter weight, Memory<float> rstd, float weightOffset,
        Variable y) => tape.Record(y, () =>
    {
        int cols = weight.Length, rows = x.Length / cols;
        if (x.RequiresGrad)
        {
            tape.WriteGrad(x, dx => Kernels.RmsNorm.Backward(y.Grad, x.Span, weight.Data.Span, rstd.Span, dx,
                tape.ParameterGrad(weight), rows, cols, weightOffset));
            return;
        }
        var scratch = tape.Rent(x.Length);
        Kernels.RmsNorm.Backward(y.Grad, x.Span, weight.Data.Span, rstd.Span, scratch.AsSpan(0, x.Length),
            tape.ParameterGrad(weight), rows, cols, weightOffset);
        tape.Return(scratch);
    });

    /// <summary>
    /// Rotary position embeddings (<see cref="Kernels.Rope"/>) on x [B·T, H·D]: row r is position r mod
    /// <paramref name="seq"/>. Returns a new variable (x is unchanged).
    /// </summary>
    public static Variable Rope(Tape tape, Variable x, RopeTable table, int seq)
    {
        var (cos, sin) = table.Get(seq);
        var y = tape.NewVariable(x.Rows, x.Cols);
        Kernels.Rope.Forward(x.Span, y.Span, cos, sin, x.Rows, seq, x.Cols, table.HeadDim, table.RotaryDim);
        if (tape.Records(y)) RecordRope(tape, x, table, cos, sin, seq, y);
        return y;
    }

    private static void RecordRope(Tape tape, Variable x, RopeTable table, float[] cos, float[] sin, int seq, Variable y) =>
        tape.Record(y, () => tape.WriteGrad(x, dx =>
            Kernels.Rope.Backward(y.Grad, dx, cos, sin, x.Rows, seq, x.Cols, table.HeadDim, table.RotaryDim)));

    /// <summary>
    /// A gated MLP's activation (<see cref="Kernels.GatedActivation"/>): gateUp [n, 2I] (the output of the stacked
    /// [gate_proj; up_proj] weights) → f(gate) ⊙ up [n, I]. SwiGLU with <see cref="GateFunction.Silu"/>, GeGLU with
    /// <see cref="GateFunction.GeluTanh"/>.
    /// </summary>
    public static Variable GatedActivation(Tape tape, Variable gateUp, GateFunction f)
    {
        if (gateUp.Cols % 2 != 0) throw new ArgumentException("gateUp must be [n, 2I]");
        int cols = gateUp.Cols / 2;
        var y = tape.NewVariable(gateUp.Rows, cols);
        Kernels.GatedActivation.Forward(gateUp.Span, y.Span, gateUp.Rows, cols, f);
        if (tape.Records(y)) RecordGatedActivation(tape, gateUp, f, y);
        return y;
    }

    private static void RecordGatedActivation(Tape tape, Variable gateUp, GateFunction f, Variable y) =>
        tape.Record(y, () => tape.WriteGrad(gateUp, dx =>
            Kernels.GatedActivation.Backward(gateUp.Span, y.Grad, dx, gateUp.Rows, y.Cols, f)));

    /// <summary>
    /// Decoder self-attention (<see cref="Kernels.Attention"/>): q [B·T, H·D], k and v [B·T, Hkv·D] (grouped-query when
    /// Hkv &lt; H) → [B·T, H·D]. maskBias: [B·T] additive key mask (0 keeps, float.MinValue removes padding);
    /// <paramref name="scoring"/> sets the scale, causal or bidirectional attention, a sliding window and soft-capping.
    /// <paramref name="dropout"/> &gt; 0 drops attention probabilities as transformers' attention_dropout in training mode
    /// (y = dropout(P)·V): one seed drawn from <see cref="Tape.Random"/> per op, the mask regenerated in backward, so
    /// restoring the generator reproduces it (GradCache, resume, checkpointed layers). With a sliding window narrower
    /// than T only the band of probabilities is computed and kept (<see cref="AttentionLayout.For"/>).
    /// </summary>
    public static Variable DecoderAttention(Tape tape, Variable q, Variable k, Variable v, ReadOnlyMemory<float> maskBias,
        int batch, int seq, int heads, int kvHeads, AttentionScoring scoring, float dropout = 0f)
    {
        int d = q.Cols / heads;
        if (q.Cols != heads * d || k.Cols != kvHeads * d || v.Cols != k.Cols || q.Rows != batch * seq
            || k.Rows != q.Rows || v.Rows != q.Rows)
            throw new ArgumentException($"q must be [B·T, H·D] and k, v [B·T, Hkv·D] (H {heads}, Hkv {kvHeads})");
        // A window narrower than the sequence keeps only the band of probabilities ([B, H, T, band], linear in T).
        var layout = AttentionLayout.For(batch, seq, heads, kvHeads, d, scoring);
        // Kept on inference tapes too (unless the tape asks for Tape.DirectAttention): the same layout and kernel path
        // whether or not the pass records, so training without dropout, GradCache's unrecorded first pass and
        // checkpointed layers agree bit for bit.
        var y = tape.NewVariable(q.Rows, q.Cols);
        if (UsesInferenceAttention(tape, y, dropout))
        {
            Kernels.Attention.ForwardInference(q.Span, k.Span, v.Span, maskBias.Span, y.Span, layout, scoring);
            return y;
        }
        var probs = tape.Save(checked((int)layout.ProbsLength));
        ulong seed = DropoutSeed(tape, dropout);
        // y[B·T, H·D] = dropout(P)·V; probs [B, H, T, T or band] keeps the undropped softmax for the backward pass.
        Kernels.Attention.Forward(q.Span, k.Span, v.Span, maskBias.Span, y.Span, probs.Span, layout, scoring, dropout, seed);
        if (tape.Records(y)) RecordDecoderAttention(tape, q, k, v, probs, layout, scoring, dropout, seed, y);
        return y;
    }

    /// <summary>
    /// <see cref="DecoderAttention(Tape, Variable, Variable, Variable, ReadOnlyMemory{float}, int, int, int, int, AttentionScoring, float)"/>
    /// on unpadded rows: q [N, H·D], k and v [N, Hkv·D] hold the real tokens of <paramref name="rows"/> back to back,
    /// each sequence attending to its own tokens under <paramref name="scoring"/> (causality and windows count within
    /// the sequence, as they do over a padded row's real tokens). Inference only (<see cref="RunsUnpadded"/>).
    /// </summary>
    public static Variable DecoderAttention(Tape tape, Variable q, Variable k, Variable v, UnpaddedRows rows, int heads,
        int kvHeads, AttentionScoring scoring)
    {
        RequireUnpadded(tape, "DecoderAttention");
        int d = heads > 0 ? q.Cols / heads : 0;
        if (heads <= 0 || kvHeads <= 0 || q.Cols != heads * d || k.Cols != kvHeads * d || v.Cols != k.Cols || q.Rows != rows.Count
            || k.Rows != q.Rows || v.Rows != q.Rows)
            throw new ArgumentException($"q must be [N, H·D] and k, v [N, Hkv·D] with N = {rows.Count} (H {heads}, Hkv {kvHeads})");
        var y = tape.NewVariable(q.Rows, q.Cols);
        Kernels.Attention.ForwardInferenceUnpadded(q.Span, k.Span, v.Span, y.Span, rows.Offsets,
            AttentionLayout.Dense(rows.Batch, rows.Longest, heads, kvHeads, d), scoring);
        return y;
    }

    // dq, dk, dv from dy and the saved probabilities (mask regenerated from the seed).
    private static void RecordDecoderAttention(Tape tape, Variable q, Variable k, Variable v, Memory<float> probs,
        AttentionLayout layout, AttentionScoring scoring, float dropout, ulong seed, Variable y) => tape.Record(y, () =>
    {
        var dq = ExclusiveGrad(tape, q, out var fq);
        var dk = ExclusiveGrad(tape, k, out var fk);
        var dv = ExclusiveGrad(tape, v, out var fv);
        Kernels.Attention.Backward(y.Grad, q.Span, k.Span, v.Span, probs.Span, dq.AsSpan(0, q.Length),
            dk.AsSpan(0, k.Length), dv.AsSpan(0, v.Length), layout, scoring, dropout, seed);
        Finish(tape, q, dq, fq);
        Finish(tape, k, dk, fk);
        Finish(tape, v, dv, fv);
    });

    /// <summary>A buffer a kernel may overwrite with <paramref name="v"/>'s gradient: its own (first writer) or scratch.</summary>
    private static float[] ExclusiveGrad(Tape tape, Variable v, out bool scratch)
    {
        if (v.RequiresGrad && !v.HasGrad)
        {
            scratch = false;
            return tape.GradFor(v, out _);
        }
        scratch = true;
        return tape.Rent(v.Length);
    }

    /// <summary>Adds a scratch gradient into <paramref name="v"/>'s (when it needs one) and returns the buffer.</summary>
    private static void Finish(Tape tape, Variable v, float[] buffer, bool scratch)
    {
        if (!scratch) return;
        if (v.RequiresGrad)
        {
            var g = tape.GradFor(v, out _).AsSpan(0, v.Length);
            System.Numerics.Tensors.TensorPrimitives.Add(g, buffer.AsSpan(0, v.Length), g);
        }
        tape.Return(buffer);
    }
}
