namespace Skald.Tokenizers.Core;

/// <summary>Pattern helpers and HF's NormalizedString::split.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/tokenizer/pattern.rs</remarks>
internal static class Splitting
{
    /// <summary>Each char for which <paramref name="isDelimiter"/> holds is its own match (HF's char-predicate pattern).</summary>
    public static List<(int Start, int End, bool IsMatch)> FindChars(NormalizedString ns, Func<int, bool> isDelimiter)
    {
        var list = new List<(int, int, bool)>();
        if (ns.Length == 0)
        {
            list.Add((0, 0, false));
            return list;
        }
        int last = 0;
        for (int i = 0; i < ns.Length;)
        {
            int cp = ns.CodePointAt(i, out int w);
            if (isDelimiter(cp))
            {
                if (last < i) list.Add((last, i, false));
                list.Add((i, i + w, true));
                last = i + w;
            }
            i += w;
        }
        if (last < ns.Length) list.Add((last, ns.Length, false));
        return list;
    }

    /// <summary>Regex matches as HF's Pattern for a regex: matches and the gaps between them; <paramref name="invert"/> flips which is which.</summary>
    public static List<(int Start, int End, bool IsMatch)> FindRegex(NormalizedString ns, OnigRegex regex, bool invert)
    {
        var list = new List<(int, int, bool)>();
        if (ns.Length == 0)
        {
            list.Add((0, 0, invert));
            return list;
        }
        var matches = new List<(int Start, int End)>();
        regex.Matches(ns.Span, matches);
        int prev = 0;
        foreach (var (s, e) in matches)
        {
            if (prev != s) list.Add((prev, s, invert));
            list.Add((s, e, !invert));
            prev = e;
        }
        if (prev != ns.Length) list.Add((prev, ns.Length, invert));
        return list;
    }

    /// <summary>Occurrences of a literal string (HF escapes String patterns into a regex).</summary>
    public static List<(int Start, int End, bool IsMatch)> FindLiteral(NormalizedString ns, string literal, bool invert)
    {
        var list = new List<(int, int, bool)>();
        var text = ns.Span;
        if (text.Length == 0 || literal.Length == 0)
        {
            list.Add((0, text.Length, invert));
            return list;
        }
        int prev = 0, at = 0;
        while (at <= text.Length - literal.Length)
        {
            int k = text[at..].IndexOf(literal.AsSpan(), StringComparison.Ordinal);
            if (k < 0) break;
            int s = at + k, e = s + literal.Length;
            if (prev != s) list.Add((prev, s, invert));
            list.Add((s, e, !invert));
            prev = at = e;
        }
        if (prev != text.Length) list.Add((prev, text.Length, invert));
        return list;
    }

    /// <summary>Turns a list of matches into pieces according to <paramref name="behavior"/>.</summary>
    public static List<NormalizedString> Split(NormalizedString ns, List<(int Start, int End, bool IsMatch)> matches, SplitBehavior behavior)
    {
        var spans = new List<(int Start, int End, bool Remove)>(matches.Count);
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var m in matches) spans.Add((m.Start, m.End, false));
                break;
            case SplitBehavior.Removed:
                foreach (var m in matches) spans.Add((m.Start, m.End, m.IsMatch));
                break;
            case SplitBehavior.Contiguous:
            {
                bool prevMatch = false;
                foreach (var m in matches)
                {
                    // HF merges any run of equal flags (runs of non-matches only occur with invert).
                    if (m.IsMatch == prevMatch && spans.Count > 0)
                        spans[^1] = (spans[^1].Start, m.End, false);
                    else
                        spans.Add((m.Start, m.End, false));
                    prevMatch = m.IsMatch;
                }
                break;
            }
            case SplitBehavior.MergedWithPrevious:
            {
                bool prevMatch = false;
                foreach (var m in matches)
                {
                    if (m.IsMatch && !prevMatch && spans.Count > 0)
                        spans[^1] = (spans[^1].Start, m.End, false);
                    else
                        spans.Add((m.Start, m.End, false));
                    prevMatch = m.IsMatch;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                bool prevMatch = false;
                for (int i = matches.Count - 1; i >= 0; i--)
                {
                    var m = matches[i];
                    if (m.IsMatch && !prevMatch && spans.Count > 0)
                        spans[^1] = (m.Start, spans[^1].End, false);
                    else
                        spans.Add((m.Start, m.End, false));
                    prevMatch = m.IsMatch;
                }
                spans.Reverse();
                break;
            }
        }
        var result = new List<NormalizedString>(spans.Count);
        foreach (var (s, e, remove) in spans)
            if (!remove) result.Add(ns.Slice(s, e));
        return result;
    }
}
