using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's WhitespaceSplit: split on whitespace, removing it.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/whitespace.rs</remarks>
internal sealed record WhitespaceSplitPreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts) =>
        pts.SplitPieces(static ns => Splitting.FindChars(ns, UnicodeData.IsWhitespace), SplitBehavior.Removed);
}
