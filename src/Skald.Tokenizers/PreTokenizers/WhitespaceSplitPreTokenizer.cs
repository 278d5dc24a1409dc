using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's WhitespaceSplit: split on whitespace, removing it.</summary>
internal sealed record WhitespaceSplitPreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts) =>
        pts.SplitPieces(static ns => Splitting.FindChars(ns, UnicodeData.IsWhitespace), SplitBehavior.Removed);
}
