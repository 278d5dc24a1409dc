using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's Punctuation pre-tokenizer (ASCII punctuation or Unicode P*).</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/punctuation.rs</remarks>
internal sealed record PunctuationPreTokenizer(SplitBehavior Behavior) : IPreTokenizer
{
    /// <summary>HF's is_punc.</summary>
    public static bool IsPunctuation(int cp) => cp < 0x80
        ? cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126)
        : UnicodeData.Is(cp, UnicodeData.Punctuation);

    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts) =>
        pts.SplitPieces(static ns => Splitting.FindChars(ns, IsPunctuation), Behavior);
}
