using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's Sequence pre-tokenizer.</summary>
internal sealed record SequencePreTokenizer(IReadOnlyList<IPreTokenizer> PreTokenizers) : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts)
    {
        foreach (var p in PreTokenizers) p.PreTokenize(pts);
    }
}
