using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's Sequence normalizer.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/utils.rs</remarks>
internal sealed record SequenceNormalizer(IReadOnlyList<INormalizer> Normalizers) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        foreach (var n in Normalizers) n.Normalize(ns);
    }
}
