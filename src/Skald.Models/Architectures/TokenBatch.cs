using Skald.Tokenizers;

namespace Skald.Models.Architectures;

/// <summary>
/// One padded batch of token ids, the input of every architecture. Ids, Mask and TypeIds are [Batch, Seq] row-major;
/// mask 1 = real token, 0 = padding.
/// </summary>
public sealed record TokenBatch(int[] Ids, int[] Mask, int[] TypeIds, int Batch, int Seq)
{
    /// <summary>Pads <paramref name="encodings"/> on the right with <paramref name="padId"/>.</summary>
    public static TokenBatch Pad(IReadOnlyList<Encoding> encodings, int padId)
    {
        if (encodings.Count == 0) throw new ArgumentException("no texts in the batch", nameof(encodings));
        var (ids, mask, typeIds, seq) = Padding.PadBatch(encodings, padId);
        return new TokenBatch(ids, mask, typeIds, encodings.Count, seq);
    }

    /// <summary>Rows · Seq.</summary>
    public int Count => Batch * Seq;
}
