using Skald.Tokenizers.Models;

namespace Skald.Tokenizers.Core;

/// <summary>
/// When a text truncated to its last N tokens (left truncation) may be tokenized from a suffix only, with the same ids,
/// offsets and Truncated flag as the whole text gives.
/// <para>
/// The suffix starts at a cut <c>c</c> of the pipeline's <see cref="CutTable"/> where it splits (<see cref="CutKind.Split"/>:
/// an ASCII space between two ASCII letters or digits, the space included, a tab, line feed or CR LF there
/// (<see cref="CutTable.Lines"/>), or a pair of punctuation, ideographs, letters and digits the table proved split), or
/// for a single BPE piece also one no vocabulary entry spans (<see cref="CutKind.Inside"/>), and the tokens taken from it
/// must start at or after the next such cut <c>m</c> (the margin). The pipeline is one <see cref="PrefixCut.Analyze"/>
/// accepted, so every component is local around such a cut (the table's argument: its two characters are starters
/// in separate grapheme clusters that nothing after them attaches to), and the components that act at the start of a
/// text act only before the margin: Prepend and a left Strip change the first characters of the suffix's first
/// segment; Metaspace's prepend scheme "first" and ByteLevel's prefix space see the suffix's leading space (the space
/// or its marker is already there, so nothing is added; before another character they add theirs); the suffix's first
/// piece may differ from the whole text's, but it ends at or before <c>m</c>.
/// </para>
/// <list type="bullet">
/// <item>Pieces: the pre-tokenizer splits at <c>m</c> in both texts. Whitespace, punctuation, digit and class splits are
/// local. A GPT regex covers every character with contiguous matches (letters, digits, punctuation and whitespace each
/// have an alternative) and no alternative matches a letter or digit followed by whitespace, nor reaches across the
/// pairs the table splits (a letter before a digit or punctuation, a digit before anything but a digit; GPT-4's digit
/// groups of three are never split pairs, their grouping depends on where the run starts), so the match holding the
/// character before <c>m</c> ends at <c>m</c> whatever came before it; the next match starts there and, without lookbehind, is the same in both
/// texts (the lookahead and <c>$</c> see the same end). Added tokens hold no whitespace, so no match crosses
/// <c>m</c>, and the leftmost matches after it are the same. So the pieces after <c>m</c> are the same strings at the
/// same places, and each piece is tokenized alone: the early cut of the suffix, when it stops at a piece after
/// <c>m</c>, is the whole text's. Its Truncated flag (an early cut of exactly max_length tokens) is the whole text's
/// when the nearest earlier piece with tokens also lies after <c>m</c>.</item>
/// <item>Single piece with BPE: no vocabulary entry holds a character followed by the space's marker, nor the two
/// characters of an Inside cut, so no merge spans the boundary at <c>m</c>, and BPE merges the part after it alike in both texts. The suffix's
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

    /// <summary>
    /// Whether index <paramref name="i"/> of <paramref name="text"/> is a suffix cut: one <paramref name="cuts"/> proves
    /// the pipeline splits at (<see cref="CutKind.Split"/>: a space between ASCII letters or digits, a tab or line break
    /// there, punctuation, ideographs, a letter beside a digit), or for a single piece (<paramref name="single"/>, BPE)
    /// one no vocabulary entry spans (<see cref="CutKind.Inside"/>).
    /// </summary>
    public static bool IsCut(string text, int i, CutTable cuts, bool single)
    {
        if (i < 1 || i + 1 >= text.Length) return false;
        var kind = cuts.At(text, i);
        return kind == CutKind.Split || single && kind == CutKind.Inside;
    }

    /// <summary>The last suffix cut at or before <paramref name="at"/>, or -1.</summary>
    public static int Previous(string text, int at, CutTable cuts, bool single)
    {
        for (int i = Math.Min(at, text.Length - 2); i >= 1; i--)
            if (IsCut(text, i, cuts, single)) return i;
        return -1;
    }

    /// <summary>The first suffix cut at or after <paramref name="from"/>, or -1.</summary>
    public static int Next(string text, int from, CutTable cuts, bool single)
    {
        for (int i = Math.Max(from, 1); i + 1 < text.Length; i++)
            if (IsCut(text, i, cuts, single)) return i;
        return -1;
    }
}
