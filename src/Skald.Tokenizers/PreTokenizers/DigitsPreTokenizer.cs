using System.Globalization;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's Digits pre-tokenizer: numeric chars isolated one by one or grouped (contiguous).</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/digits.rs</remarks>
internal sealed record DigitsPreTokenizer(bool IndividualDigits) : IPreTokenizer
{
    /// <summary>Rust's char::is_numeric (Nd, Nl, No).</summary>
    public static bool IsNumeric(int cp)
    {
        if (cp < 0x80) return cp is >= '0' and <= '9';
        var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
        return cat is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }

    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts) => pts.SplitPieces(static ns => Splitting.FindChars(ns, IsNumeric),
        IndividualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous);
}
