namespace Skald.Data.Ingest;

/// <summary>
/// Splits cleaned text into sentences: a boundary follows '.', '!', '?' or '…' (and any closing quotes or brackets)
/// when whitespace and then an upper-case letter, a digit or an opening quote or dash come next, except after a known
/// Norwegian, Danish, Swedish or English abbreviation ("f.eks.", "bl.a.", "t.ex.", "dvs.", "nr.") or a single
/// letter (an initial).
/// </summary>
public static class SentenceSplitter
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "f.eks", "bl.a", "dvs", "d.v.s", "osv", "o.s.v", "mv", "m.v", "mfl", "m.fl", "nr", "ca", "jf", "jfr", "pga", "p.g.a",
        "ift", "inkl", "ekskl", "evt", "kl", "t.o.m", "f.o.m", "m.m", "mm", "t.ex", "s.k", "sk", "fx", "el", "hhv", "iflg",
        "vha", "dr", "prof", "st", "mr", "mrs", "etc", "e.g", "i.e", "vs", "pkt", "kap", "avd", "tlf", "adr", "bl", "resp",
        "ang", "vedr", "forts", "gl", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "okt", "nov", "des", "dec",
        "o.l", "ds", "d.s", "e.l", "m.a.o", "f.v.t", "e.kr", "f.kr", "e.v.t", "ff", "s", "sid", "ibid",
    };

    /// <summary>[start, end) spans of the sentences of <paramref name="text"/> (trimmed, never empty).</summary>
    public static List<TextSpan> Split(string text, int offset = 0)
    {
        var result = new List<TextSpan>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is not ('.' or '!' or '?' or '…')) continue;
            int end = i + 1;
            while (end < text.Length && text[end] is '.' or '!' or '?' or '…') end++;
            while (end < text.Length && text[end] is '"' or '\'' or '»' or '”' or '’' or ')' or ']') end++;
            if (end >= text.Length || !char.IsWhiteSpace(text[end])) continue;
            int next = end;
            while (next < text.Length && char.IsWhiteSpace(text[next])) next++;
            if (next >= text.Length) break;
            char n = text[next];
            bool opener = char.IsUpper(n) || char.IsDigit(n) || n is '"' or '«' or '“' or '(' or '–' or '—' or '-' or '\'';
            if (!opener) continue;
            if (c == '.' && IsAbbreviation(text, start, i)) continue;
            Add(result, text, start, end, offset);
            start = next;
            i = next - 1;
        }
        Add(result, text, start, text.Length, offset);
        return result;
    }

    private static bool IsAbbreviation(string text, int sentenceStart, int dot)
    {
        int w = dot;
        while (w > sentenceStart && !char.IsWhiteSpace(text[w - 1]) && text[w - 1] is not ('(' or '"' or '«')) w--;
        string word = text[w..dot];
        if (word.Length == 0) return false;
        if (word.Length == 1 && char.IsLetter(word[0])) return true; // an initial: "H. Ibsen"
        return Abbreviations.Contains(word);
    }

    private static void Add(List<TextSpan> result, string text, int start, int end, int offset)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end > start) result.Add(new TextSpan(offset + start, offset + end));
    }
}
