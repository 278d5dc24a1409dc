using System.Text;

namespace Skald.Retrieval.Bm25;

/// <summary>
/// The BM25 text analyzer: lower-case, combining accents composed onto their letter, tokens = maximal runs of letters and digits (so æ ø å ä ö é stay
/// inside words, and "Pro-Bowl" gives "pro", "bowl"; a '.' or ',' between digits stays, so "1,000" and "3.5" are one
/// term, as in Xapian's TermGenerator), optional stop words, optional Snowball stemming.
/// </summary>
public sealed class Analyzer
{
    private readonly HashSet<string>? stopWords;

    /// <summary>An analyzer with an optional stemmer and stop-word list.</summary>
    public Analyzer(Snowball? stemmer = null, IEnumerable<string>? stopWords = null)
    {
        Stemmer = stemmer;
        this.stopWords = stopWords is null ? null : new HashSet<string>(stopWords, StringComparer.Ordinal);
    }

    /// <summary>The stemmer, or null (no stemming).</summary>
    public Snowball? Stemmer { get; }

    /// <summary>The terms of a text, in order, with repeats.</summary>
    public List<string> Analyze(string text)
    {
        var terms = new List<string>();
        var sb = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (ch is '.' or ',' && sb.Length > 0 && char.IsDigit(sb[^1]) && i + 1 < text.Length && char.IsDigit(text[i + 1]))
            {
                sb.Append(ch); // 1,000 and 3.5 stay one term
            }
            else if (ch is >= '\u0300' and <= '\u036F' && sb.Length > 0 && Compose(sb[^1], ch) is char composed)
            {
                sb[^1] = composed;
            }
            else if (char.IsLetterOrDigit(ch))
            {
                sb.Append(char.ToLowerInvariant(ch));
            }
            else if (char.GetUnicodeCategory(ch) is System.Globalization.UnicodeCategory.NonSpacingMark)
            {
                continue; // other combining marks: dropped
            }
            else if (sb.Length > 0)
            {
                Emit(sb.ToString(), terms);
                sb.Clear();
            }
        }
        if (sb.Length > 0) Emit(sb.ToString(), terms);
        return terms;
    }

    /// <summary>
    /// Canonical composition of the accented Latin letters of the Nordic languages (the process runs with invariant
    /// globalization, where string.Normalize does not compose): base letter + combining mark → precomposed letter.
    /// </summary>
    private static char? Compose(char letter, char mark)
    {
        const string bases = "aeiouy";
        int b = bases.IndexOf(letter);
        if (b < 0) return null;
        string row = mark switch
        {
            '\u0301' => "áéíóúý", // acute
            '\u0300' => "àèìòùỳ", // grave
            '\u0308' => "äëïöüÿ", // diaeresis
            '\u030A' => "å\0\0\0ů\0", // ring above
            '\u0302' => "âêîôûŷ", // circumflex
            _ => "",
        };
        return row.Length == bases.Length && row[b] != '\0' ? row[b] : null;
    }

    private void Emit(string token, List<string> terms)
    {
        if (stopWords?.Contains(token) == true) return;
        terms.Add(Stemmer is null ? token : Stemmer.Stem(token));
    }
}
