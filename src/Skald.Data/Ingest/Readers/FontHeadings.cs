namespace Skald.Data.Ingest.Readers;

/// <summary>
/// Headings of a PDF by their font: consecutive lines in the same font size, at least <see cref="SizeRatio"/> times the
/// body's (the size most of the document's letters have), are one heading (a title, a section heading) when together
/// they are short (at most <see cref="MaxWords"/> words), have at least two letters (not a drop capital) and do not end
/// as a sentence or clause does (. , ;): a larger-type lead paragraph stays text.
/// </summary>
public static class FontHeadings
{
    /// <summary>How much larger than the body's a heading's font is (LibreOffice's Heading 2 is 115% of its body text,
    /// Word's 13 pt over 11 pt).</summary>
    public const double SizeRatio = 1.15;

    /// <summary>The most words a heading has.</summary>
    public const int MaxWords = 20;

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
            if (!Large(lines[i], bodySize))
            {
                i++;
                continue;
            }
            int end = i + 1;
            while (end < lines.Count && Large(lines[end], bodySize) && Math.Round(lines[end].Size, 1) == Math.Round(lines[i].Size, 1)) end++;
            string text = TextCleaner.CollapseWhitespace(string.Join(" ", lines.Skip(i).Take(end - i).Select(l => l.Text)));
            if (text.Split(' ').Length <= MaxWords && text.Count(char.IsLetter) >= 2 && !".,;".Contains(text[^1])) found.Add((i, end));
            i = end;
        }
        return found;
    }

    private static bool Large(PdfLine line, double bodySize) =>
        line.Size >= bodySize * SizeRatio - 0.01 && !string.IsNullOrWhiteSpace(line.Text);
}
