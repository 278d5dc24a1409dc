using System.Globalization;
using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's Split pre-tokenizer: a literal string or a regex, one of five behaviours, optionally inverted.</summary>
internal sealed class SplitPreTokenizer : IPreTokenizer
{
    private readonly string? _literal;
    private readonly OnigRegex? _regex;

    /// <summary>Creates the pre-tokenizer; exactly one of <paramref name="literal"/> / <paramref name="regex"/> is set.</summary>
    public SplitPreTokenizer(string? literal, OnigRegex? regex, SplitBehavior behavior, bool invert)
    {
        _literal = literal;
        _regex = regex;
        Behavior = behavior;
        Invert = invert;
    }

    /// <summary>The delimiter behaviour.</summary>
    public SplitBehavior Behavior { get; }

    /// <summary>Whether the pattern marks the pieces to keep instead of the delimiters.</summary>
    public bool Invert { get; }

    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts) => pts.SplitPieces(
        ns => _regex is not null ? Splitting.FindRegex(ns, _regex, Invert) : Splitting.FindLiteral(ns, _literal!, Invert), Behavior);
}

/// <summary>HF's Punctuation pre-tokenizer (ASCII punctuation or Unicode P*).</summary>
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

/// <summary>HF's Digits pre-tokenizer: numeric chars isolated one by one or grouped (contiguous).</summary>
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
