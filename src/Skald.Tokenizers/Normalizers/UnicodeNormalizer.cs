using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's NFD / NFKD / NFC / NFKC normalizers.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/unicode.rs</remarks>
internal sealed record UnicodeNormalizer(NormalizationKind Kind) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => UnicodeNormalization.Apply(ns, Kind);
}
