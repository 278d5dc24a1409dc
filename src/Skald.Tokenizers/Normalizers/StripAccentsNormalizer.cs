using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's StripAccents normalizer: removes combining marks (no decomposition by itself).</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/strip.rs</remarks>
internal sealed record StripAccentsNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => ns.Filter(static cp => !UnicodeData.Is(cp, UnicodeData.CombiningMark));
}
