using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's BertPreTokenizer: split on whitespace (removed), then isolate punctuation.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/bert.rs</remarks>
internal sealed record BertPreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts)
    {
        pts.SplitPieces(static ns => Splitting.FindChars(ns, UnicodeData.IsWhitespace), SplitBehavior.Removed);
        pts.SplitPieces(static ns => Splitting.FindChars(ns, IsBertPunctuation), SplitBehavior.Isolated);
    }

    /// <summary>BERT punctuation: ASCII symbol ranges and Unicode punctuation.</summary>
    public static bool IsBertPunctuation(int cp) => cp < 0x80
        ? cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126)
        : UnicodeData.Is(cp, UnicodeData.Punctuation);
}
