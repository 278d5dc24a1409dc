using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's CharDelimiterSplit: split on one character, removing it.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/delimiter.rs</remarks>
internal sealed record CharDelimiterSplitPreTokenizer(int Delimiter) : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts)
    {
        int d = Delimiter;
        pts.SplitPieces(ns => Splitting.FindChars(ns, cp => cp == d), SplitBehavior.Removed);
    }
}
