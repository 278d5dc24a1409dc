using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's ByteLevel normalizer: every character becomes the byte-level characters of its UTF-8 bytes.</summary>
internal sealed record ByteLevelNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => PreTokenizers.ByteLevelPreTokenizer.ToBytes(ns);
}
