namespace Skald.Data.Ingest.Readers;

/// <summary>
/// Headings of a PDF by their font: consecutive lines in the same font size, at least <see cref="SizeRatio"/> times the
/// body's (the size most of the document's letters have), are one heading (a title, a section heading) when together
/// they are short (at most <see cref="MaxWords"/> words), have at least two letters (not a drop capital) and do not end
/// as a sentence or clause does (. , ;): a larger-type lead paragraph stays text. Lines in a bold font of the body's size
/// are a heading too (a report's "Overtid" in bold over its text), conservatively: every letter bold, together at most
/// <see cref="BoldMaxWords"/> words, not ending in sentence or clause punctuation (. ! ? , ; :), and followed on the page
/// by a line that is not bold nor larger (only the bold lines after the last one ending in such punctuation: a bold
/// sentence right above a bold heading stays text); a bold sentence, a bold warning paragraph and a page of bold text stay text.
/// </summary>
public static class FontHeadings
{
    /// <summary>How much larger than the body's a heading's font is (LibreOffice's Heading 2 is 115% of its body text,
    /// Word's 13 pt over 11 pt).</summary>
    public const double SizeRatio = 1.15;

    /// <summary>The most words a heading has.</summary>
    public const int MaxWords = 20;

    /// <summary>The most words a heading in a bold font of the body's size has.</summary>
    public const int BoldMaxWords = 12;

    /// <summary>The size most of the letters of <paramref name="lines"/> have (to 0.1 pt); 0 when none is known.</summary>
    public static double BodySize(IEnumerable<PdfLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var letters = new Dictionary<double, int>();
        foreach (var line in lines)
        {
            if (line.Size <= 0) continue;
            double size = Math.Round(line.Size, 1);
            letters[size] = letters.GetValueOrDefault(size) + line.Text.Count(c => !char.IsWhiteSpace(c));
        }
        return letters.Count == 0 ? 0 : letters.MaxBy(kv => (kv.Value, -kv.Key)).Key;
    }

    /// <summary>The headings among <paramref name="lines"/> (one page's) as [start, end) line ranges, in order.</summary>
    public static List<(int Start, int End)> Find(IReadOnlyList<PdfLine> lines, double bodySize)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var found = new List<(int, int)>();
        if (bodySize <= 0) return found;
        for (int i = 0; i < lines.Count;)
        {
            if (BoldBody(lines[i], bodySize))
            {
                int last = i + 1;
                while (last < lines.Count && BoldBody(lines[last], bodySize)) last++;
                // the heading is the bold lines right above the plain text, after any bold sentence above them
                int first = last - 1;
                while (first > i && !EndsClause(lines[first - 1].Text)) first--;
                int next = last;
                while (next < lines.Count && string.IsNullOrWhiteSpace(lines[next].Text)) next++;
                string bold = Joined(lines, first, last);
                if (next < lines.Count && !lines[next].Bold && lines[next].Size > 0 && !Large(lines[next], bodySize)
                    && bold.Split(' ').Length <= BoldMaxWords && bold.Count(char.IsLetter) >= 2 && !EndsClause(bold))
                    found.Add((first, last));
                i = last;
                continue;
            }
            if (!Large(lines[i], bodySize))
            {
                i++;
                continue;
            }
            int end = i + 1;
            while (end < lines.Count && Large(lines[end], bodySize) && Math.Round(lines[end].Size, 1) == Math.Round(lines[i].Size, 1)) end++;
            string text = Joined(lines, i, end);
            if (text.Split(' ').Length <= MaxWords && text.Count(char.IsLetter) >= 2 && !".,;".Contains(text[^1])) found.Add((i, end));
            i = end;
        }
        return found;
    }

    private static bool EndsClause(string text) => text.TrimEnd() is { Length: > 0 } t && ".!?,;:".Contains(t[^1]);

    private static string Joined(IReadOnlyList<PdfLine> lines, int start, int end) =>
        TextCleaner.CollapseWhitespace(string.Join(" ", lines.Skip(start).Take(end - start).Select(l => l.Text)));

    // A non-blank line all in bold, in (about) the body's size: within 5% of it, so a larger bold line is left to Large.
    private static bool BoldBody(PdfLine line, double bodySize) =>
        line.Bold && Math.Abs(line.Size - bodySize) <= 0.05 * bodySize && !string.IsNullOrWhiteSpace(line.Text);

    private static bool Large(PdfLine line, double bodySize) =>
        line.Size >= bodySize * SizeRatio - 0.01 && !string.IsNullOrWhiteSpace(line.Text);
}
