using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Core;

/// <summary>
/// Where a long text may be cut for bounded truncation (<see cref="PrefixCut"/>): at a space between two ASCII letters
/// or digits (every accepted pipeline), at a tab, line feed or CR LF there where the pipeline splits at it
/// (<see cref="Lines"/>), or between two characters of the table's alphabet (printable ASCII other than
/// the space, the CJK ideographs U+4E00..U+9FA5 as one symbol, and common CJK punctuation) where <see cref="CutTableBuilder"/> proved for this
/// pipeline that the tokens before the cut are the whole text's: a pre-tokenizer split (punctuation for BERT, a
/// letter-digit change for the GPT regexes, between two ideographs for BERT's CJK handling), or a place no BPE or
/// Unigram vocabulary entry spans. The character after the right-hand one must not attach to it (a combining mark,
/// say), so both are what the table assumed. A cut at index <c>i</c> means the prefix <c>text[..i]</c>.
/// </summary>
internal sealed class CutTable
{
    /// <summary>Symbols of the alphabet: '!'..'~' are 0..93, the ideographs 94, then CJK punctuation (<see cref="CjkPunctuation"/>).</summary>
    public const int Symbols = 95 + 9; // the 9 of CjkPunctuation

    /// <summary>The CJK punctuation of the alphabet: 、。「」 and the full-width ！，：；？ (NFKC makes the latter ASCII).</summary>
    public const string CjkPunctuation = "\u3001\u3002\u300C\u300D\uFF01\uFF0C\uFF1A\uFF1B\uFF1F";

    /// <summary>The symbol of the CJK ideographs U+4E00..U+9FA5 (assigned since Unicode 1.1, letters Lo, NFKC-stable).</summary>
    public const int Ideograph = 94;

    private readonly CutKind[] _cells;
    private readonly LineCuts _lines;

    /// <summary>
    /// A table over <paramref name="cells"/> (<see cref="Symbols"/> squared, left symbol major), also cutting at the
    /// whitespace <paramref name="lines"/> names between two ASCII letters or digits; <paramref name="wordChars"/>
    /// are the characters whose runs stay whole (<see cref="WordChars"/>), null for none.
    /// </summary>
    public CutTable(CutKind[] cells, LineCuts lines = LineCuts.None, string? wordChars = null)
    {
        if (cells.Length != Symbols * Symbols) throw new ArgumentException("a cut table has Symbols² cells", nameof(cells));
        _cells = cells;
        _lines = lines;
        WordChars = wordChars;
    }

    /// <summary>
    /// True when the pipeline keeps every run of ASCII letters and digits inside one piece, each character one character
    /// of the piece, whatever the letters and digits are (<see cref="CutTableBuilder"/> proved it for every pair): a
    /// WordPiece word longer than max_input_chars_per_word then stays one unknown token when its middle is left out
    /// (<see cref="GiantWords"/>).
    /// </summary>
    public bool InertWords => WordChars is not null;

    /// <summary>
    /// The characters whose runs the pipeline keeps inside one piece, each one character of the piece, whatever their
    /// order (<see cref="InertWords"/>): the ASCII letters and digits, and the Latin, Greek and Cyrillic letters of the
    /// BMP proven so with them (<see cref="CutTableBuilder"/>); null when not even the ASCII ones are.
    /// </summary>
    public string? WordChars { get; }

    /// <summary>The whitespace besides the space this table cuts at.</summary>
    public LineCuts Lines => _lines;

    /// <summary>The table that cuts only at spaces (a pipeline whose other cuts are unproven).</summary>
    public static CutTable SpacesOnly { get; } = new(new CutKind[Symbols * Symbols]);

    /// <summary>The symbol of <paramref name="c"/>, or -1 outside the alphabet.</summary>
    public static int Symbol(char c) => c switch
    {
        >= '!' and <= '~' => c - '!',
        >= '\u4E00' and <= '\u9FA5' => Ideograph,
        >= '\u3001' and <= '\u300D' or >= '\uFF01' and <= '\uFF1F' when CjkPunctuation.IndexOf(c) is int k and >= 0 => Ideograph + 1 + k,
        _ => -1,
    };

    /// <summary>A character of symbol <paramref name="s"/> (U+4E00 for the ideographs, standing for all of them).</summary>
    public static char Char(int s) => s < Ideograph ? (char)('!' + s) : s == Ideograph ? '\u4E00' : CjkPunctuation[s - Ideograph - 1];

    /// <summary>The kind of the cut between the symbols <paramref name="left"/> and <paramref name="right"/>.</summary>
    public CutKind this[int left, int right] => _cells[left * Symbols + right];

    /// <summary>How many cells allow a cut (tests and the summary of a pipeline).</summary>
    public int Count(CutKind kind) => _cells.Count(k => k == kind);

    /// <summary>The kind of cut at index <paramref name="i"/> of <paramref name="text"/> (1 ≤ i &lt; Length - 1).</summary>
    public CutKind At(string text, int i)
    {
        char r = text[i], l = text[i - 1];
        if (r == ' ') return char.IsAsciiLetterOrDigit(l) && char.IsAsciiLetterOrDigit(text[i + 1]) ? CutKind.Split : CutKind.None;
        if (r is '\t' or '\n' or '\r') return AtLine(text, i, r, l);
        int sl = Symbol(l);
        if (sl < 0) return CutKind.None;
        int sr = Symbol(r);
        if (sr < 0 || Attaches(text[i + 1]) || i >= 2 && Prepends(text[i - 2])) return CutKind.None;
        return _cells[sl * Symbols + sr];
    }

    /// <summary>A cut at a tab, a line feed or a CR LF between two ASCII letters or digits, where <see cref="Lines"/> allows it.</summary>
    private CutKind AtLine(string text, int i, char r, char l)
    {
        if (_lines == LineCuts.None || !char.IsAsciiLetterOrDigit(l)) return CutKind.None;
        if (r == '\r')
            return (_lines & LineCuts.CrLf) != 0 && text[i + 1] == '\n' && i + 2 < text.Length && char.IsAsciiLetterOrDigit(text[i + 2]) ? CutKind.Split : CutKind.None;
        var flag = r == '\t' ? LineCuts.Tab : LineCuts.Newline;
        return (_lines & flag) != 0 && char.IsAsciiLetterOrDigit(text[i + 1]) ? CutKind.Split : CutKind.None;
    }

    /// <summary>
    /// A grapheme-cluster Prepend character (or a surrogate, which may be one): the cluster it starts takes the
    /// left-hand character of a cut with it, and Precompiled maps clusters whole.
    /// </summary>
    private static bool Prepends(char c) => c >= '\u0600' &&
        (c is <= '\u0605' or '\u06DD' or '\u070F' or '\u0890' or '\u0891' or '\u08E2' or '\u0D4E' || char.IsSurrogate(c));

    /// <summary>
    /// True for a character that may join the one before it (a combining mark NFC composes with it or reorders, a
    /// grapheme extender Precompiled maps with it, ZWJ/ZWNJ, a surrogate such as an emoji modifier), or that a
    /// normalizer may delete so that the character after it joins (a control or format character): after it, the
    /// right-hand character of a cut would not be what the table assumed.
    /// </summary>
    private static bool Attaches(char c) => c < '\u0300'
        ? c < ' ' && c is not ('\t' or '\n' or '\r') || c is >= '\u007F' and <= '\u009F'
        : UnicodeData.Is(c, UnicodeData.CombiningMark | UnicodeData.Other) || char.IsSurrogate(c) || c is '\u200C' or '\u200D' or '\uFF9E' or '\uFF9F';

    /// <summary>The first cut at or after <paramref name="from"/> (never at the last character), or -1.</summary>
    public int Next(string text, int from, out CutKind kind)
    {
        for (int i = Math.Max(from, 1); i + 1 < text.Length; i++)
        {
            kind = At(text, i);
            if (kind != CutKind.None) return i;
        }
        kind = CutKind.None;
        return -1;
    }

    /// <summary>The last cut before <paramref name="before"/>, or -1.</summary>
    public int Previous(string text, int before, out CutKind kind)
    {
        for (int i = Math.Min(before - 1, text.Length - 2); i >= 1; i--)
        {
            kind = At(text, i);
            if (kind != CutKind.None) return i;
        }
        kind = CutKind.None;
        return -1;
    }
}
