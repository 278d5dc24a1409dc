using System.Text;
using Skald.Tokenizers.Unicode;

namespace Skald.Data.Ingest;

/// <summary>
/// Clean-up of extracted text: Unicode NFC, typographic ligatures (ﬁ, ﬂ, ﬀ ...) written as their letters, soft hyphens,
/// zero-width and control characters removed, words hyphenated
/// across a line break joined ("Kunn-\nskap" → "Kunnskap", but "nord-\nog sør" keeps its hyphen), then every run of
/// whitespace one space.
/// </summary>
public static class TextCleaner
{
    private static readonly HashSet<string> Conjunctions = new(StringComparer.Ordinal) { "og", "eller", "samt", "och", "and", "or", "el", "enn", "som", "i", "til" };

    /// <summary>The cleaned form of one extracted block ("" when nothing readable is left).</summary>
    public static string Clean(string text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        text = UnicodeText.Nfc(text);
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is '\u00AD' or '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF') continue;
            if (c is '\r' && i + 1 < text.Length && text[i + 1] == '\n') continue;
            if (c is '\n' or '\r' or '\u2028' or '\u2029' or '\v' or '\f') { sb.Append('\n'); continue; } // a lone \r ends a line too
            if (char.IsControl(c) || char.IsWhiteSpace(c)) { sb.Append(' '); continue; }
            if (c == '\uFFFD') continue;
            if (Ligature(c) is { } letters) { sb.Append(letters); continue; }
            sb.Append(c);
        }
        return CollapseWhitespace(JoinHyphenated(sb.ToString()));
    }

    /// <summary>
    /// The letters of a Latin typographic ligature (U+FB00–U+FB06: ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ), as NFKC writes them; a PDF's text layer
    /// often gives the glyph, and "ﬁnne" or "oﬀentlig" would match neither BM25 terms nor a tokenizer's vocabulary.
    /// </summary>
    internal static string? Ligature(char c) => c switch
    {
        '\uFB00' => "ff",
        '\uFB01' => "fi",
        '\uFB02' => "fl",
        '\uFB03' => "ffi",
        '\uFB04' => "ffl",
        '\uFB05' or '\uFB06' => "st",
        _ => null,
    };

    /// <summary>Joins "word-⏎word" when the hyphen ends a line, the part before is a letter and the next word starts lower-case.</summary>
    internal static string JoinHyphenated(string s)
    {
        if (s.IndexOf('\n') < 0) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if ((c == '-' || c == '\u2010') && i > 0 && char.IsLetter(s[i - 1]))
            {
                int j = i + 1;
                while (j < s.Length && s[j] == ' ') j++;
                if (j < s.Length && s[j] == '\n')
                {
                    int k = j;
                    while (k < s.Length && char.IsWhiteSpace(s[k])) k++;
                    if (k < s.Length && char.IsLower(s[k]))
                    {
                        int e = k;
                        while (e < s.Length && char.IsLetter(s[e])) e++;
                        if (!Conjunctions.Contains(s[k..e]))
                        {
                            i = k - 1; // drop the hyphen and the break: the word continues
                            continue;
                        }
                    }
                }
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Every run of whitespace (line breaks included) becomes one space; the ends are trimmed.</summary>
    public static string CollapseWhitespace(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool space = false;
        foreach (char c in s)
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
