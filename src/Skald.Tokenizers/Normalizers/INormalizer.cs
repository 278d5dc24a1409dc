using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>A normalizer step (HF's Normalizer): rewrites a piece in place, keeping alignments.</summary>
internal interface INormalizer
{
    /// <summary>Normalizes <paramref name="ns"/> in place.</summary>
    void Normalize(NormalizedString ns);
}
