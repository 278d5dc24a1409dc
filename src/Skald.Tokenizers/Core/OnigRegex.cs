using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Skald.Tokenizers.Core;

/// <summary>
/// A regex from a tokenizer.json (written for Oniguruma, which HF tokenizers uses) run with .NET's
/// engine so that it finds the same matches: the pattern is translated (possessive quantifiers become
/// atomic groups, <c>\h</c>, <c>\x{...}</c>, <c>\R</c>, line anchors) and, because .NET matches UTF-16
/// units while Oniguruma matches code points, every supplementary-plane character is replaced by a
/// BMP stand-in of the same general category before matching (so <c>\p{L}</c>, <c>\p{N}</c>, negated
/// classes and counted quantifiers see one character), and the match positions are mapped back.
/// </summary>
internal sealed class OnigRegex
{
    private static readonly char[] StandIns = BuildStandIns();
    private readonly Regex _regex;

    /// <summary>
    /// Longest one match attempt may take. Patterns come from untrusted files: a catastrophic one (<c>(a+)+$</c>)
    /// backtracks for ever on some inputs, while real tokenizer patterns match in microseconds.
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Translates and compiles <paramref name="pattern"/>; throws <see cref="ArgumentException"/> when .NET rejects it.
    /// <paramref name="source"/> (file and JSON path) is named when a match runs over <see cref="MatchTimeout"/>.
    /// </summary>
    public OnigRegex(string pattern, string? source = null)
    {
        Pattern = pattern;
        Source = source ?? "tokenizer";
        Translated = Translate(pattern);
        _regex = new Regex(Translated, RegexOptions.CultureInvariant | RegexOptions.Multiline | RegexOptions.Compiled, MatchTimeout);
    }

    /// <summary>Where the pattern comes from (file and JSON path), for messages.</summary>
    public string Source { get; }

    /// <summary>The original (Oniguruma) pattern.</summary>
    public string Pattern { get; }

    /// <summary>The .NET pattern actually used.</summary>
    public string Translated { get; }

    /// <summary>Non-empty matches (UTF-16 ranges of <paramref name="text"/>), left to right, like onig's find_iter.</summary>
    public void Matches(ReadOnlySpan<char> text, List<(int Start, int End)> output)
    {
        try
        {
            MatchesCore(text, output);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new TokenizerException(
                $"{Source}: regex \"{Pattern}\" did not finish within {MatchTimeout.TotalSeconds:0} s on a text of {text.Length} " +
                "characters (catastrophic backtracking); the tokenizer cannot be used with this pattern");
        }
    }

    private void MatchesCore(ReadOnlySpan<char> text, List<(int Start, int End)> output)
    {
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (var m in _regex.EnumerateMatches(text))
                if (m.Length > 0) output.Add((m.Index, m.Index + m.Length));
            return;
        }
        // Map each surrogate pair to one stand-in char; map[i] = original index of mapped char i.
        var mapped = new char[text.Length];
        var map = new int[text.Length + 1];
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            map[n] = i;
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int cp = char.ConvertToUtf32(c, text[i + 1]);
                mapped[n++] = StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(cp)];
                i++;
            }
            else
            {
                mapped[n++] = c;
            }
        }
        map[n] = text.Length;
        foreach (var m in _regex.EnumerateMatches(mapped.AsSpan(0, n)))
            if (m.Length > 0) output.Add((map[m.Index], map[m.Index + m.Length]));
    }

    /// <summary>For each general category, a BMP character of that category that no real pattern names.</summary>
    private static char[] BuildStandIns()
    {
        var result = new char[32];
        var found = new bool[32];
        for (int cp = 0xFFFD; cp >= 0x100; cp--)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            int cat = (int)CharUnicodeInfo.GetUnicodeCategory(cp);
            if (found[cat]) continue;
            found[cat] = true;
            result[cat] = (char)cp;
        }
        for (int i = 0; i < result.Length; i++) if (!found[i]) result[i] = '\uFFFD';
        return result;
    }

    /// <summary>Rewrites Oniguruma syntax that .NET lacks or reads differently.</summary>
    internal static string Translate(string p)
    {
        var sb = new StringBuilder(p.Length + 16);
        var groupStarts = new Stack<int>();
        var caseStack = new Stack<bool>();
        bool ignoreCase = false;
        int atomStart = -1;
        int i = 0;
        while (i < p.Length)
        {
            char c = p[i];
            int start = sb.Length;
            switch (c)
            {
                case '\\':
                    i = Escape(p, i, sb, inClass: false);
                    atomStart = start;
                    continue;
                case '[':
                    i = CharClass(p, i, sb);
                    atomStart = start;
                    continue;
                case '(':
                {
                    groupStarts.Push(sb.Length);
                    caseStack.Push(ignoreCase);
                    sb.Append(c);
                    i++;
                    // (?i:...), (?i-m:...), (?i) flags: track case-insensitivity for the folding below.
                    if (i + 1 < p.Length && p[i] == '?' && (char.IsAsciiLetter(p[i + 1]) || p[i + 1] == '-'))
                    {
                        int j = i + 1;
                        bool on = true;
                        while (j < p.Length && (char.IsAsciiLetter(p[j]) || p[j] == '-'))
                        {
                            if (p[j] == '-') on = false;
                            else if (p[j] == 'i') ignoreCase = on;
                            j++;
                        }
                        if (j < p.Length && p[j] == ')')
                        {
                            // Inline flags apply to the rest of the enclosing group.
                            bool keep = ignoreCase;
                            caseStack.Pop();
                            groupStarts.Pop();
                            sb.Append(p, i, j - i + 1);
                            i = j + 1;
                            ignoreCase = keep;
                            continue;
                        }
                    }
                    atomStart = -1;
                    continue;
                }
                case ')':
                    sb.Append(c);
                    i++;
                    atomStart = groupStarts.Count > 0 ? groupStarts.Pop() : -1;
                    if (caseStack.Count > 0) ignoreCase = caseStack.Pop();
                    continue;
                case '*' or '+' or '?':
                case '{' when IsQuantifierBrace(p, i):
                {
                    int q = i;
                    if (c == '{') i = p.IndexOf('}', i) + 1;
                    else i++;
                    string quant = p[q..i];
                    if (c == '{' && i < p.Length && p[i] == '+' && atomStart >= 0)
                    {
                        // Ruby syntax: X{n,m}+ is not possessive but a repeated interval, (?:X{n,m})+
                        string atom = sb.ToString(atomStart, sb.Length - atomStart);
                        sb.Length = atomStart;
                        sb.Append("(?:").Append(atom).Append(quant).Append(")+");
                        i++;
                    }
                    else if (i < p.Length && p[i] == '+' && atomStart >= 0)
                    {
                        // Possessive: X*+ == (?>X*)
                        string atom = sb.ToString(atomStart, sb.Length - atomStart);
                        sb.Length = atomStart;
                        sb.Append("(?>").Append(atom).Append(quant).Append(')');
                        i++;
                    }
                    else
                    {
                        sb.Append(quant);
                        if (i < p.Length && p[i] == '?')
                        {
                            sb.Append('?');
                            i++;
                        }
                    }
                    atomStart = -1;
                    continue;
                }
                default:
                    // Oniguruma folds with Unicode case folding: s ~ ſ (U+017F), k ~ K (U+212A), å ~ Å (U+212B).
                    if (ignoreCase && c is 's' or 'S') sb.Append("[sS\\u017F]");
                    else if (ignoreCase && c is 'k' or 'K') sb.Append("[kK\\u212A]");
                    else if (ignoreCase && c is 'å' or 'Å') sb.Append("[åÅ\\u212B]");
                    else sb.Append(c);
                    i++;
                    atomStart = c is '|' or '^' or '$' ? -1 : start;
                    continue;
            }
        }
        return sb.ToString();
    }

    private static bool IsQuantifierBrace(string p, int i)
    {
        int close = p.IndexOf('}', i);
        if (close < 0) return false;
        var body = p.AsSpan(i + 1, close - i - 1);
        if (body.Length == 0 || !char.IsAsciiDigit(body[0]) && body[0] != ',') return false;
        foreach (char ch in body) if (!char.IsAsciiDigit(ch) && ch != ',') return false;
        return true;
    }

    private static int CharClass(string p, int i, StringBuilder sb)
    {
        sb.Append('[');
        i++;
        if (i < p.Length && p[i] == '^') { sb.Append('^'); i++; }
        if (i < p.Length && p[i] == ']') { sb.Append("\\]"); i++; }
        while (i < p.Length && p[i] != ']')
        {
            if (p[i] == '\\')
            {
                i = Escape(p, i, sb, inClass: true);
                continue;
            }
            if (p[i] == '[' && i + 1 < p.Length && p[i + 1] == ':')
            {
                int end = p.IndexOf(":]", i + 2, StringComparison.Ordinal);
                if (end > 0)
                {
                    sb.Append(PosixClass(p[(i + 2)..end]));
                    i = end + 2;
                    continue;
                }
            }
            if (p[i] == '[')
            {
                sb.Append("\\[");
                i++;
                continue;
            }
            sb.Append(p[i++]);
        }
        sb.Append(']');
        return i + 1;
    }

    private static string PosixClass(string name) => name switch
    {
        "alpha" => "\\p{L}\\p{Nl}",
        "digit" => "\\d",
        "alnum" => "\\p{L}\\p{Nl}\\d",
        "space" => "\\s",
        "upper" => "\\p{Lu}",
        "lower" => "\\p{Ll}",
        "punct" => "\\p{P}",
        "xdigit" => "0-9A-Fa-f",
        "word" => "\\w",
        "cntrl" => "\\p{Cc}",
        _ => throw new ArgumentException($"unsupported POSIX bracket [:{name}:]"),
    };

    private static int Escape(string p, int i, StringBuilder sb, bool inClass)
    {
        if (i + 1 >= p.Length)
        {
            sb.Append("\\\\");
            return i + 1;
        }
        char e = p[i + 1];
        switch (e)
        {
            case 'h':
                sb.Append(inClass ? "0-9A-Fa-f" : "[0-9A-Fa-f]");
                return i + 2;
            case 'H':
                sb.Append(inClass ? throw new ArgumentException("\\H inside a character class is not supported") : "[^0-9A-Fa-f]");
                return i + 2;
            case 'w':
                // Oniguruma's Unicode \w: letters, marks, all numbers, connector punctuation (.NET's lacks No, Nl, Mc, Me).
                sb.Append(inClass ? "\\p{L}\\p{M}\\p{N}\\p{Pc}" : "[\\p{L}\\p{M}\\p{N}\\p{Pc}]");
                return i + 2;
            case 'W' when !inClass:
                sb.Append("[^\\p{L}\\p{M}\\p{N}\\p{Pc}]");
                return i + 2;
            case 'R' when !inClass:
                sb.Append("(?>\\r\\n|[\\n\\v\\f\\r\\x85\\u2028\\u2029])");
                return i + 2;
            case 'x' when i + 2 < p.Length && p[i + 2] == '{':
            {
                int close = p.IndexOf('}', i + 3);
                if (close < 0) throw new ArgumentException("unterminated \\x{...}");
                int cp = int.Parse(p.AsSpan(i + 3, close - i - 3), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (cp <= 0xFFFF) sb.Append($"\\u{cp:X4}");
                else sb.Append(StandInFor(cp, inClass));
                return close + 1;
            }
            case 'p' or 'P' when i + 2 < p.Length && p[i + 2] == '{':
            {
                int close = p.IndexOf('}', i + 3);
                if (close < 0) throw new ArgumentException("unterminated \\p{...}");
                string name = p[(i + 3)..close];
                bool negate = e == 'P';
                if (name.StartsWith('^'))
                {
                    negate = !negate;
                    name = name[1..];
                }
                sb.Append('\\').Append(negate ? 'P' : 'p').Append('{').Append(PropertyName(name)).Append('}');
                return close + 1;
            }
            default:
                sb.Append('\\').Append(e);
                return i + 2;
        }
    }

    private static string StandInFor(int cp, bool inClass)
    {
        char s = StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(cp)];
        _ = inClass;
        return $"\\u{(int)s:X4}";
    }

    private static string PropertyName(string name) => name switch
    {
        "Letter" or "Alpha" or "Alphabetic" => "L",
        "Number" => "N",
        "Digit" => "Nd",
        "Punct" or "Punctuation" => "P",
        "Mark" or "Combining_Mark" => "M",
        "Symbol" => "S",
        "Separator" => "Z",
        "Upper" or "Uppercase_Letter" => "Lu",
        "Lower" or "Lowercase_Letter" => "Ll",
        "Han" => "IsCJKUnifiedIdeographs",
        "Hiragana" => "IsHiragana",
        "Katakana" => "IsKatakana",
        "Hangul" => "IsHangulSyllables",
        _ => name,
    };
}
