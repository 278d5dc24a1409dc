using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's Sequence normalizer.</summary>
internal sealed record SequenceNormalizer(IReadOnlyList<INormalizer> Normalizers) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        foreach (var n in Normalizers) n.Normalize(ns);
    }
}
