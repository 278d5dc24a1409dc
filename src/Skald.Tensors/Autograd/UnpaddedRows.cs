namespace Skald.Tensors.Autograd;

/// <summary>
/// A padded batch's real tokens stored back to back (flash-attn's varlen layout): row i of the unpadded [N, C] states
/// is row <see cref="Index"/>[i] of the padded [B·T, C] ones, and sequence b is rows <see cref="Offsets"/>[b] to
/// <see cref="Offsets"/>[b + 1]. Inference passes run the row-wise work (Linear, LayerNorm, activations) on N rows
/// instead of B·T, and attention within each sequence (<see cref="Ops.Attention(Tape, Variable, UnpaddedRows, int)"/>).
/// </summary>
public sealed class UnpaddedRows
{
    private Tape? owner; // whose pass this belongs to (its arrays come from the tape), or null

    private UnpaddedRows()
    {
        Index = Offsets = [];
    }

    /// <summary>[N]: each real token's row in the padded batch, in order.</summary>
    public int[] Index { get; private set; }

    /// <summary>[B + 1]: where each sequence starts among the N rows (cu_seqlens); Offsets[B] = N.</summary>
    public int[] Offsets { get; private set; }

    /// <summary>B.</summary>
    public int Batch => Offsets.Length - 1;

    /// <summary>T, the padded length.</summary>
    public int Seq { get; private set; }

    /// <summary>The longest sequence's real tokens.</summary>
    public int Longest { get; private set; }

    /// <summary>N, the real tokens.</summary>
    public int Count => Index.Length;

    /// <summary>
    /// The real tokens (mask ≠ 0) of a [B, T] mask, row by row in order, whichever side a row is padded on; null when
    /// there is no padding (nothing to save) or no real token at all (the padded pass handles that degenerate batch).
    /// </summary>
    public static UnpaddedRows? FromMask(ReadOnlySpan<int> mask, int batch, int seq) => FromMask(mask, batch, seq, null);

    /// <summary>
    /// <see cref="FromMask(ReadOnlySpan{int}, int, int)"/> for a pass on <paramref name="tape"/>: the instance, its arrays
    /// and those of <see cref="Select"/> are the tape's until its <see cref="Tape.Reset"/> (then reused), so a warm pass
    /// allocates none of them.
    /// </summary>
    public static UnpaddedRows? FromMask(ReadOnlySpan<int> mask, int batch, int seq, Tape? tape)
    {
        if (mask.Length != batch * seq) throw new ArgumentException($"mask must be [B, T] = [{batch}, {seq}]", nameof(mask));
        int real = 0;
        foreach (int m in mask) if (m != 0) real++;
        if (real == mask.Length || real == 0) return null;
        var index = tape?.Ints(real) ?? new int[real];
        var offsets = tape?.Ints(batch + 1) ?? new int[batch + 1];
        offsets[0] = 0;
        int n = 0, longest = 0;
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < seq; t++)
            {
                if (mask[b * seq + t] != 0) index[n++] = b * seq + t;
            }
            offsets[b + 1] = n;
            longest = Math.Max(longest, n - offsets[b]);
        }
        var rows = tape is not null && tape.UnpaddedFree.Count > 0 ? tape.UnpaddedFree.Pop() : new UnpaddedRows();
        tape?.UnpaddedInUse.Add(rows);
        (rows.Index, rows.Offsets, rows.Seq, rows.Longest, rows.owner) = (index, offsets, seq, longest, tape);
        return rows;
    }

    /// <summary>values[Index[i]] for each real token: a per-token array of the padded batch, unpadded.</summary>
    public int[] Select(int[] values)
    {
        if (values.Length != Batch * Seq) throw new ArgumentException($"values must be [B·T] = [{Batch * Seq}]", nameof(values));
        var r = owner?.Ints(Index.Length) ?? new int[Index.Length];
        for (int i = 0; i < r.Length; i++) r[i] = values[Index[i]];
        return r;
    }
}
