using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's StripAccents normalizer: removes combining marks (no decomposition by itself).</summary>
internal sealed record StripAccentsNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => ns.Filter(static cp => !UnicodeData.Is(cp, UnicodeData.CombiningMark));
}
