using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's Prepend normalizer.</summary>
internal sealed record PrependNormalizer(string Prepend) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => ns.Prepend(Prepend);
}
