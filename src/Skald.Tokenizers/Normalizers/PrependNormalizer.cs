using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's Prepend normalizer.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/prepend.rs</remarks>
internal sealed record PrependNormalizer(string Prepend) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => ns.Prepend(Prepend);
}
