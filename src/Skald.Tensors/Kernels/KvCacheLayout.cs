namespace Skald.Tensors.Kernels;

/// <summary>
/// Shapes of one <see cref="CachedAttention"/> call: a key (or value) cache [B, Hkv, Capacity, D] whose columns
/// 0..Length−1 are filled, the last <see cref="NewTokens"/> of them by the step being computed.
/// </summary>
/// <param name="Batch">B.</param>
/// <param name="NewTokens">Tn, the tokens of this step per row (1 when decoding one token at a time).</param>
/// <param name="Length">Filled columns, including the new tokens.</param>
/// <param name="Capacity">Allocated columns per (row, key/value head).</param>
/// <param name="Heads">H (query heads).</param>
/// <param name="KvHeads">Hkv (divides H).</param>
/// <param name="HeadDim">D.</param>
public readonly record struct KvCacheLayout(int Batch, int NewTokens, int Length, int Capacity, int Heads, int KvHeads,
    int HeadDim)
{
    /// <summary>Query heads per key/value head.</summary>
    public int Group => Heads / KvHeads;

    /// <summary>Offset of column <paramref name="s"/> of key/value head <paramref name="kvHead"/> of row <paramref name="b"/>.</summary>
    public long Offset(int b, int kvHead, int s) => (((long)b * KvHeads + kvHead) * Capacity + s) * HeadDim;

    /// <summary>The columns [Lo, Hi) new token <paramref name="j"/> may attend to (causal, and the window when set).</summary>
    public (int Lo, int Hi) KeyRange(int j, AttentionScoring scoring)
    {
        int a = Length - NewTokens + j;
        return (scoring.Window > 0 ? Math.Max(0, a - scoring.Window + 1) : 0, a + 1);
    }
}
