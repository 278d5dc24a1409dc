using System.Buffers;
using Skald.Tokenizers.Models;

namespace Skald.Tokenizers.Core;

/// <summary>
/// When a text truncated to its last N tokens (left truncation) may be tokenized from a suffix only, with the same ids,
/// offsets and Truncated flag as the whole text gives.
/// <para>
/// The suffix starts at a word cut <c>c</c> (an ASCII space between two ASCII letters or digits, the space included, or
/// there a tab, line feed or CR LF the <see cref="CutTable"/> proved the pipeline splits at: <see cref="CutTable.Lines"/>),
/// and the tokens taken from it must start at or after the next such cut <c>m</c> (the margin). The pipeline is one
/// <see cref="PrefixCut.Analyze"/> accepted, so every component is local around a space cut, and the components that
/// act at the start of a text act only before the margin: Prepend and a left Strip change the first characters of the
/// suffix's first segment; Metaspace's prepend scheme "first" and ByteLevel's prefix space see the suffix's leading
/// space (the space or its marker is already there, so nothing is added; before a tab or line break they add theirs);
/// the suffix's first piece may differ from the whole text's, but it ends at or before <c>m</c>.
/// </para>
/// <list type="bullet">
/// <item>Pieces: the pre-tokenizer splits at <c>m</c> in both texts. Whitespace splits are local. A GPT regex covers
/// every character with contiguous matches (letters, digits, punctuation and whitespace each have an alternative) and
/// no alternative matches a letter or digit followed by whitespace, so the match holding the character before <c>m</c>
/// ends at <c>m</c> whatever came before it; the next match starts there and, without lookbehind, is the same in both
/// texts (the lookahead and <c>$</c> see the same end). Added tokens hold no whitespace, so no match crosses
/// <c>m</c>, and the leftmost matches after it are the same. So the pieces after <c>m</c> are the same strings at the
/// same places, and each piece is tokenized alone: the early cut of the suffix, when it stops at a piece after
/// <c>m</c>, is the whole text's. Its Truncated flag (an early cut of exactly max_length tokens) is the whole text's
/// when the nearest earlier piece with tokens also lies after <c>m</c>.</item>
/// <item>Single piece with BPE: no vocabulary entry holds a character followed by the space's marker, so no merge
/// spans the boundary before the marker at <c>m</c>, and BPE merges the part after it alike in both texts. The suffix's
/// tokens from <c>m</c> on are the whole text's last ones; when more than max_length of them lie there, the kept ones
/// and Truncated are the whole text's (the overflowing part then holds only tokens from <c>m</c> on). Unigram is not
/// accepted: its best path after the boundary is chosen by comparing sums that start from different scores in the two
/// texts, and floating point rounding could break a tie differently.</item>
/// <item>Normalizers: <see cref="PrefixCut"/>'s conditions, among them that no ASCII letter or digit becomes whitespace
/// or a space marker (<see cref="PrefixCut.LettersStay"/>), so the characters on both sides of <c>m</c> stay what the
/// argument assumes.</item>
/// </list>
/// Offsets: the suffix's are shifted by <c>c</c>; the code points before the suffix are counted without tokenizing.
/// </summary>
internal static class SuffixCut
{
    /// <summary>Whether a pipeline <see cref="PrefixCut.Analyze"/> gave <paramref name="mode"/> may be read from a suffix.</summary>
    public static bool Allows(PrefixMode mode, IModel model)
    {
        if (mode == PrefixMode.None || mode == PrefixMode.SinglePiece && model is not BpeModel) return false;
        // No ASCII letter or digit becomes whitespace or a space marker: PrefixCut.Analyze checked it (LettersStay).
        return true;
    }

    /// <summary>Whether index <paramref name="i"/> of <paramref name="text"/> is a space cut (an ASCII space between ASCII letters or digits).</summary>
    public static bool IsSpaceCut(string text, int i) =>
        i >= 1 && i + 1 < text.Length && text[i] == ' ' && char.IsAsciiLetterOrDigit(text[i - 1]) && char.IsAsciiLetterOrDigit(text[i + 1]);

    /// <summary>
    /// Whether index <paramref name="i"/> is a word cut: a space cut, or a tab, line feed or CR LF between ASCII letters
    /// or digits where <paramref name="cuts"/> proves the pipeline splits (<see cref="CutTable.Lines"/>).
    /// </summary>
    public static bool IsWordCut(string text, int i, CutTable cuts) =>
        IsSpaceCut(text, i) || cuts.Lines != LineCuts.None && i >= 1 && i + 1 < text.Length && text[i] is '\t' or '\n' or '\r' && cuts.At(text, i) == CutKind.Split;

    private static readonly SearchValues<char> Whitespace = SearchValues.Create(" \t\n\r");

    /// <summary>The last word cut at or before <paramref name="at"/>, or -1.</summary>
    public static int Previous(string text, int at, CutTable cuts)
    {
        bool lines = cuts.Lines != LineCuts.None;
        int i = Math.Min(at, text.Length - 1);
        while (i >= 0)
        {
            var span = text.AsSpan(0, i + 1);
            i = lines ? span.LastIndexOfAny(Whitespace) : span.LastIndexOf(' ');
            if (i < 0 || IsWordCut(text, i, cuts)) return i;
            i--;
        }
        return -1;
    }

    /// <summary>The first word cut at or after <paramref name="from"/>, or -1.</summary>
    public static int Next(string text, int from, CutTable cuts)
    {
        bool lines = cuts.Lines != LineCuts.None;
        for (int i = Math.Max(from, 0); i < text.Length; i++)
        {
            var span = text.AsSpan(i);
            int k = lines ? span.IndexOfAny(Whitespace) : span.IndexOf(' ');
            if (k < 0) return -1;
            i += k;
            if (IsWordCut(text, i, cuts)) return i;
        }
        return -1;
    }
}
