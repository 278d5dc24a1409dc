namespace Skald.Tokenizers;

/// <summary>Batch padding helpers.</summary>
public static class Padding
{
    /// <summary>
    /// Pads a batch to its longest member (rounded up to <paramref name="padToMultipleOf"/> when &gt; 0)
    /// and flattens it row-major into [B, T] arrays: ids (padding = <paramref name="padId"/>),
    /// attention mask (0 on padding) and type ids (0 on padding). Right padding unless
    /// <paramref name="padLeft"/>.
    /// </summary>
    public static (int[] Ids, int[] Mask, int[] TypeIds, int SeqLen) PadBatch(
        IReadOnlyList<Encoding> encodings, int padId, bool padLeft = false, int padToMultipleOf = 0)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        if (padToMultipleOf < 0) throw new ArgumentOutOfRangeException(nameof(padToMultipleOf));
        int seqLen = 0;
        foreach (var e in encodings) seqLen = Math.Max(seqLen, e.Ids.Length);
        if (padToMultipleOf > 0 && seqLen % padToMultipleOf != 0) seqLen += padToMultipleOf - seqLen % padToMultipleOf;
        int b = encodings.Count;
        var ids = new int[b * seqLen];
        var mask = new int[b * seqLen];
        var types = new int[b * seqLen];
        for (int r = 0; r < b; r++)
        {
            var e = encodings[r];
            int n = e.Ids.Length;
            int row = r * seqLen;
            int off = padLeft ? seqLen - n : 0;
            ids.AsSpan(row, seqLen).Fill(padId);
            e.Ids.AsSpan().CopyTo(ids.AsSpan(row + off, n));
            e.AttentionMask.AsSpan().CopyTo(mask.AsSpan(row + off, n));
            e.TypeIds.AsSpan().CopyTo(types.AsSpan(row + off, n));
        }
        return (ids, mask, types, seqLen);
    }
}
