namespace Skald.Tensors.Kernels;

/// <summary>
/// Shapes and row strides of one <see cref="Attention"/> call. q: [B·T, ≥ H·D] with row stride <see cref="LdQ"/>;
/// k, v: [B·T, ≥ Hkv·D] with row stride <see cref="LdKv"/>; output: [B·T, ≥ H·D] with row stride <see cref="LdOut"/>.
/// Query head h reads key/value head h / (H / Hkv) (grouped-query attention, transformers' repeat_kv); Hkv = H is
/// ordinary multi-head attention. Strides let q/k/v be column slices of one fused buffer.
/// The probabilities kept for the backward pass are [B, H, T, T], or with <see cref="Band"/> &gt; 0 (windowed attention,
/// <see cref="AttentionScoring.BandWidth"/> keys per query) only the band [B, H, T, Band]: column j of query t is key
/// t − (window − 1) + j, so memory grows linearly in T.
/// </summary>
/// <param name="Batch">B.</param>
/// <param name="Seq">T.</param>
/// <param name="Heads">H (query heads).</param>
/// <param name="KvHeads">Hkv (key/value heads; divides H).</param>
/// <param name="HeadDim">D.</param>
/// <param name="LdQ">Row stride of q (and of dq).</param>
/// <param name="LdKv">Row stride of k and v (and of dk, dv).</param>
/// <param name="LdOut">Row stride of the output (and of its gradient).</param>
/// <param name="Band">Keys stored per query row (0: all T, dense; else the scoring's <see cref="AttentionScoring.BandWidth"/>).</param>
public readonly record struct AttentionLayout(int Batch, int Seq, int Heads, int KvHeads, int HeadDim, int LdQ, int LdKv,
    int LdOut, int Band = 0)
{
    /// <summary>
    /// Contiguous q, k, v and output, with the banded probabilities when <paramref name="scoring"/> has a window whose
    /// band is narrower than <paramref name="seq"/> (dense otherwise).
    /// </summary>
    public static AttentionLayout For(int batch, int seq, int heads, int kvHeads, int headDim, AttentionScoring scoring)
    {
        int band = scoring.BandWidth;
        return Dense(batch, seq, heads, kvHeads, headDim) with { Band = band > 0 && band < seq ? band : 0 };
    }

    /// <summary>Contiguous q [B·T, H·D], k and v [B·T, Hkv·D], output [B·T, H·D].</summary>
    public static AttentionLayout Dense(int batch, int seq, int heads, int kvHeads, int headDim) =>
        new(batch, seq, heads, kvHeads, headDim, heads * headDim, kvHeads * headDim, heads * headDim);

    /// <summary>Query heads per key/value head.</summary>
    public int Group => Heads / KvHeads;

    /// <summary>Probabilities stored per query row: T, or <see cref="Band"/>.</summary>
    public int RowLength => Band > 0 ? Band : Seq;

    /// <summary>Length of the probabilities buffer, B·H·T·T (dense) or B·H·T·Band (banded).</summary>
    public long ProbsLength => (long)Batch * Heads * Seq * RowLength;
}
