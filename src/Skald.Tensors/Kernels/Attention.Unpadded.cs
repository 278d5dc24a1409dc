namespace Skald.Tensors.Kernels;

public static unsafe partial class Attention
{
    /// <summary>
    /// Inference attention over sequences stored back to back without padding (flash-attn's varlen layout): sequence b
    /// is rows <paramref name="offsets"/>[b] to <paramref name="offsets"/>[b + 1] of q, k, v and the output, and
    /// attends to its own rows only, so no key mask is needed. <paramref name="l"/>.Batch is the number of sequences
    /// and <paramref name="l"/>.Seq the longest (it sizes the scratch). The same attention as
    /// <see cref="ForwardInference"/> on the padded batch with the padding masked, for the real rows: the direct kernel
    /// (<see cref="DirectForward"/>) walks each sequence at its own length; where that kernel does not apply, each
    /// sequence runs as a batch of one.
    /// </summary>
    /// <param name="q">[N, ≥ H·D] with row stride l.LdQ (N = offsets[B]).</param>
    /// <param name="k">[N, ≥ Hkv·D] with row stride l.LdKv.</param>
    /// <param name="v">[N, ≥ Hkv·D] with row stride l.LdKv.</param>
    /// <param name="output">[N, ≥ H·D] with row stride l.LdOut.</param>
    /// <param name="offsets">[B + 1], nondecreasing from 0 (cu_seqlens).</param>
    /// <param name="l">Heads, strides, B and the longest length.</param>
    /// <param name="sc">Scale, causality, window, soft cap.</param>
    public static void ForwardInferenceUnpadded(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> output, ReadOnlySpan<int> offsets, AttentionLayout l, AttentionScoring sc)
    {
        if (offsets.Length != l.Batch + 1 || l.Batch > 0 && offsets[0] != 0)
            throw new ArgumentException($"offsets must be [B + 1] = [{l.Batch + 1}] starting at 0", nameof(offsets));
        for (int b = 0; b < l.Batch; b++)
        {
            int len = offsets[b + 1] - offsets[b];
            if (len < 0 || len > l.Seq)
                throw new ArgumentException($"sequence {b} has length {len}, outside [0, {l.Seq}]", nameof(offsets));
        }
        int rows = l.Batch == 0 ? 0 : offsets[l.Batch];
        // The bounds of the whole buffer, as one sequence of N rows would have them.
        Check(q, k, v, output.Length, 0, 0, l with { Batch = 1, Seq = rows });
        CheckBand(l, sc);
        if (rows == 0 || l.Heads == 0) return;
        if (!UsesDirect(l))
        {
            for (int b = 0; b < l.Batch; b++)
            {
                int r0 = offsets[b], len = offsets[b + 1] - r0;
                if (len == 0) continue;
                Forward(q[(r0 * l.LdQ)..], k[(r0 * l.LdKv)..], v[(r0 * l.LdKv)..], default, output[(r0 * l.LdOut)..], default,
                    l with { Batch = 1, Seq = len }, sc);
            }
            return;
        }
        fixed (float* pq = q, pk = k, pv = v, pout = output)
        fixed (int* po = offsets)
            DirectForward((nint)pq, (nint)pk, (nint)pv, 0, false, (nint)pout, l, sc, vectorized: true, offsets: (nint)po);
    }
}
