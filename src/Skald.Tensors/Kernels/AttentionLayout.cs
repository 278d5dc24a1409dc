namespace Skald.Tensors.Kernels;

/// <summary>
/// Shapes and row strides of one <see cref="Attention"/> call. q: [B·T, ≥ H·D] with row stride <see cref="LdQ"/>;
/// k, v: [B·T, ≥ Hkv·D] with row stride <see cref="LdKv"/>; output: [B·T, ≥ H·D] with row stride <see cref="LdOut"/>.
/// Query head h reads key/value head h / (H / Hkv) (grouped-query attention, transformers' repeat_kv); Hkv = H is
/// ordinary multi-head attention. Strides let q/k/v be column slices of one fused buffer.
/// </summary>
/// <param name="Batch">B.</param>
/// <param name="Seq">T.</param>
/// <param name="Heads">H (query heads).</param>
/// <param name="KvHeads">Hkv (key/value heads; divides H).</param>
/// <param name="HeadDim">D.</param>
/// <param name="LdQ">Row stride of q (and of dq).</param>
/// <param name="LdKv">Row stride of k and v (and of dk, dv).</param>
/// <param name="LdOut">Row stride of the output (and of its gradient).</param>
public readonly record struct AttentionLayout(int Batch, int Seq, int Heads, int KvHeads, int HeadDim, int LdQ, int LdKv,
    int LdOut)
{
    /// <summary>Contiguous q [B·T, H·D], k and v [B·T, Hkv·D], output [B·T, H·D].</summary>
    public static AttentionLayout Dense(int batch, int seq, int heads, int kvHeads, int headDim) =>
        new(batch, seq, heads, kvHeads, headDim, heads * headDim, kvHeads * headDim, heads * headDim);

    /// <summary>Query heads per key/value head.</summary>
    public int Group => Heads / KvHeads;

    /// <summary>Length of the probabilities buffer, B·H·T·T.</summary>
    public long ProbsLength => (long)Batch * Heads * Seq * Seq;
}
