using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's ByteLevel normalizer: every character becomes the byte-level characters of its UTF-8 bytes.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/byte_level.rs</remarks>
internal sealed record ByteLevelNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => PreTokenizers.ByteLevelPreTokenizer.ToBytes(ns);
}
