namespace Skald.Tokenizers.Core;

/// <summary>One piece of a <see cref="PreTokenizedString"/>; <see cref="Tokens"/> is set once tokenized.</summary>
internal sealed class Split(NormalizedString normalized, List<Token>? tokens = null)
{
    /// <summary>The piece.</summary>
    public NormalizedString Normalized { get; } = normalized;

    /// <summary>Tokens of the piece (null until the model, or the added vocabulary, produced them).</summary>
    public List<Token>? Tokens { get; set; } = tokens;
}

/// <summary>The input split into pieces, mirroring HF's PreTokenizedString.</summary>
internal sealed class PreTokenizedString
{
    /// <summary>Starts with the whole text as one piece.</summary>
    public PreTokenizedString(string text)
    {
        Original = text;
        Splits = [new Split(new NormalizedString(text))];
    }

    /// <summary>The whole original text.</summary>
    public string Original { get; }

    /// <summary>Current pieces, in order.</summary>
    public List<Split> Splits { get; private set; }

    /// <summary>
    /// Replaces every not yet tokenized piece by the pieces <paramref name="splitter"/> returns
    /// (empty pieces are dropped, as HF does). Tokenized pieces are kept as they are.
    /// </summary>
    public void Split(Func<NormalizedString, IEnumerable<Split>> splitter)
    {
        var result = new List<Split>(Splits.Count * 2);
        foreach (var split in Splits)
        {
            if (split.Tokens is not null)
            {
                result.Add(split);
                continue;
            }
            foreach (var piece in splitter(split.Normalized))
                if (piece.Normalized.Length > 0) result.Add(piece);
        }
        Splits = result;
    }

    /// <summary>Rewrites every not yet tokenized piece in place (HF's PreTokenizedString::normalize).</summary>
    public void NormalizeEach(Action<NormalizedString> action)
    {
        foreach (var split in Splits)
            if (split.Tokens is null) action(split.Normalized);
    }

    /// <summary>Splits every untokenized piece with a pattern, see <see cref="Splitting.Split"/>.</summary>
    public void SplitPieces(Func<NormalizedString, List<(int Start, int End, bool IsMatch)>> pattern, SplitBehavior behavior) =>
        Split(ns => Splitting.Split(ns, pattern(ns), behavior).Select(p => new Split(p)));
}

/// <summary>Pattern helpers and HF's NormalizedString::split.</summary>
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
