using System.Globalization;

namespace Skald.Tokenizers.Core;

/// <summary>
/// A hand-written scanner that finds exactly the matches of Llama 3's split regex (<see cref="Pattern"/>) as
/// <see cref="OnigRegex"/> does, over code points: each alternative in order at each position, with the regex's
/// backtracking worked out by hand (<c>\s*[\r\n]+</c> ends after the run's last CR/LF; <c>\s+(?!\S)</c> leaves the
/// run's last space to the next piece unless the run ends the text). Every position starts some match, so the
/// matches tile the text. Tests compare it to the regex on random and real texts.
/// </summary>
/// <remarks>Pattern from Llama 3's tokenizer.json (tiktoken cl100k family): https://github.com/meta-llama/llama3/blob/main/llama/tokenizer.py</remarks>
internal static class Llama3SplitScanner
{
    /// <summary>The regex this scanner is equivalent to.</summary>
    public const string Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const byte Letter = 1, Number = 2, Space = 3, Other = 4;

    private static readonly byte[] AsciiClass = BuildAscii();

    /// <summary>The matches (UTF-16 ranges of <paramref name="text"/>), left to right, like <see cref="OnigRegex.Matches"/>.</summary>
    public static void Matches(ReadOnlySpan<char> text, List<(int Start, int End)> output)
    {
        for (int i = 0; i < text.Length;)
        {
            int end = MatchAt(text, i);
            output.Add((i, end));
            i = end;
        }
    }

    private static int MatchAt(ReadOnlySpan<char> t, int i)
    {
        int n = t.Length;
        char c = t[i];
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (c == '\'' && i + 1 < n)
        {
            char d = t[i + 1];
            if (d is 's' or 'S' or '\u017F' or 't' or 'T' or 'm' or 'M' or 'd' or 'D') return i + 2;
            if (i + 2 < n)
            {
                char e = t[i + 2];
                if (d is 'r' or 'R' or 'v' or 'V' && e is 'e' or 'E') return i + 3;
                if (d is 'l' or 'L' && e is 'l' or 'L') return i + 3;
            }
        }
        byte k = Class(t, i, out int w);
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (k == Letter) return Run(t, i + w, Letter);
        if (k != Number && c != '\r' && c != '\n' && i + w < n && Class(t, i + w, out int w2) == Letter) return Run(t, i + w + w2, Letter);
        // \p{N}{1,3}
        if (k == Number)
        {
            int e = i + w;
            for (int count = 1; count < 3 && e < n && Class(t, e, out int we) == Number; count++) e += we;
            return e;
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        int p = -1;
        if (k == Other) p = i;
        else if (c == ' ' && i + 1 < n && Class(t, i + 1, out _) == Other) p = i + 1;
        if (p >= 0)
        {
            int e = Run(t, p, Other);
            while (e < n && t[e] is '\r' or '\n') e++;
            return e;
        }
        // Here c is white space (BMP). j: end of the white-space run.
        int j = Run(t, i, Space);
        // \s*[\r\n]+ : ends after the run's last CR/LF.
        for (int q = j - 1; q >= i; q--)
            if (t[q] is '\r' or '\n') return q + 1;
        // \s+(?!\S) : the whole run at the end of the text, else all but its last space; then \s+.
        if (j == n) return j;
        return j - 1 > i ? j - 1 : j;
    }

    /// <summary>End of the run of code points of class <paramref name="k"/> starting at <paramref name="i"/>.</summary>
    private static int Run(ReadOnlySpan<char> t, int i, byte k)
    {
        while (i < t.Length && Class(t, i, out int w) == k) i += w;
        return i;
    }

    /// <summary>The class of the code point at <paramref name="i"/> and its UTF-16 width (a lone surrogate is one unit of category Cs).</summary>
    private static byte Class(ReadOnlySpan<char> t, int i, out int width)
    {
        char c = t[i];
        width = 1;
        if (c < 0x80) return AsciiClass[c];
        if (c == '\u0085') return Space;
        UnicodeCategory cat;
        if (char.IsHighSurrogate(c) && i + 1 < t.Length && char.IsLowSurrogate(t[i + 1]))
        {
            width = 2;
            cat = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, t[i + 1]));
        }
        else
        {
            cat = CharUnicodeInfo.GetUnicodeCategory(c);
        }
        return cat switch
        {
            <= UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => Space,
            _ => Other,
        };
    }

    private static byte[] BuildAscii()
    {
        var table = new byte[128];
        for (int c = 0; c < 128; c++)
        {
            table[c] = char.IsAsciiLetter((char)c) ? Letter
                : char.IsAsciiDigit((char)c) ? Number
                : c is ' ' or >= '\t' and <= '\r' ? Space
                : Other;
        }
        return table;
    }
}
