using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's CharDelimiterSplit: split on one character, removing it.</summary>
internal sealed record CharDelimiterSplitPreTokenizer(int Delimiter) : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts)
    {
        int d = Delimiter;
        pts.SplitPieces(ns => Splitting.FindChars(ns, cp => cp == d), SplitBehavior.Removed);
    }
}
