using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's NFD / NFKD / NFC / NFKC normalizers.</summary>
internal sealed record UnicodeNormalizer(NormalizationKind Kind) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => UnicodeNormalization.Apply(ns, Kind);
}
