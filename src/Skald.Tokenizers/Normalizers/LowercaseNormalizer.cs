using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's Lowercase normalizer.</summary>
internal sealed record LowercaseNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => SimpleNormalizers.Lowercase(ns);
}
