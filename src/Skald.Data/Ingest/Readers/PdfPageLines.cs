using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.PdfFonts;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// A typed page's text in content order (PdfPig's <c>ContentOrderTextExtractor</c>), line by line, each line with the
/// median point size of its letters, whether they are all bold, and its height on the page. The extractor's text is its
/// letters' values in their order with spaces and line breaks put between them, so walking both side by side tells which
/// line each letter went to. A table's rows (<see cref="PdfTables"/>) take the place of the lines their letters made
/// (when those are whole lines, one after another, and nothing else), each a line of its cells as <see cref="TableRowText"/>
/// joins them (an empty cell keeps its column's place).
/// </summary>
public static class PdfPageLines
{
    /// <summary>The lines of <paramref name="page"/>'s text; their sizes are all 0 (and the rest unknown) if the text cannot
    /// be matched to the letters (the lines themselves are the extractor's either way).</summary>
    public static List<PdfLine> Of(Page page) => Of(page, null, out _);

    /// <summary>
    /// As <see cref="Of(Page)"/>, where a table that ran to the bottom of the page before, of columns
    /// <paramref name="above"/>, may go on at the top of this one with a single row (<see cref="PdfTables.Find(Page, PdfTableColumns?, out PdfTableColumns?)"/>);
    /// <paramref name="open"/>: the columns of a table that runs to this page's bottom (null when none, or the text could
    /// not be matched to the letters).
    /// </summary>
    public static List<PdfLine> Of(Page page, PdfTableColumns? above, out PdfTableColumns? open) => Of(page, above, out open, out _);

    /// <summary>
    /// As <see cref="Of(Page, PdfTableColumns?, out PdfTableColumns?)"/>; <paramref name="wentOn"/> says whether the page's
    /// first table is the one of <paramref name="above"/> going on (its rows in place as rows).
    /// </summary>
    public static List<PdfLine> Of(Page page, PdfTableColumns? above, out PdfTableColumns? open, out bool wentOn)
    {
        open = null;
        wentOn = false;
        ArgumentNullException.ThrowIfNull(page);
        string text = ContentOrderTextExtractor.GetText(page);
        string[] lines = text.Split('\n');
        var sizes = new List<double>[lines.Length];
        var bold = new int[lines.Length];
        var top = new double[lines.Length];
        var bottom = new double[lines.Length];
        Array.Fill(top, double.NegativeInfinity);
        Array.Fill(bottom, double.PositiveInfinity);
        int pos = 0, line = 0;
        bool matched = true;
        var lineOf = new Dictionary<Letter, int>(ReferenceEqualityComparer.Instance);
        var letterCount = new int[lines.Length];
        foreach (var letter in page.Letters)
        {
            string v = letter.Value;
            if (string.IsNullOrWhiteSpace(v)) continue;
            for (; pos < text.Length && char.IsWhiteSpace(text[pos]); pos++)
            {
                if (text[pos] == '\n') line++;
            }
            if (!text.AsSpan(pos).StartsWith(v, StringComparison.Ordinal))
            {
                matched = false;
                break;
            }
            (sizes[line] ??= []).Add(letter.PointSize);
            lineOf[letter] = line;
            letterCount[line]++;
            if (IsBold(letter)) bold[line]++;
            var box = letter.BoundingBox;
            top[line] = Math.Max(top[line], Math.Max(box.Top, box.Bottom));
            bottom[line] = Math.Min(bottom[line], Math.Min(box.Top, box.Bottom));
            pos += v.Length;
        }
        var result = new List<PdfLine>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            if (!matched || sizes[i] is not { Count: > 0 } letters)
            {
                result.Add(new PdfLine(lines[i], matched ? Median(sizes[i]) : 0));
                continue;
            }
            result.Add(new PdfLine(lines[i], Median(letters), bold[i] == letters.Count, Y(page, top[i], bottom[i])));
        }
        return matched ? WithTables(page, result, lineOf, letterCount, above, out open, out wentOn) : result;
    }

    // The lines with each table's rows in place of the lines its letters made: only where those are a run of whole
    // lines (every letter of each in the table, and every letter of the table in them); a table mixed into other text is
    // left as its lines.
    private static List<PdfLine> WithTables(Page page, List<PdfLine> lines, Dictionary<Letter, int> lineOf, int[] letterCount,
        PdfTableColumns? above, out PdfTableColumns? open, out bool wentOn)
    {
        var replaced = new (int End, List<PdfLine> Rows)?[lines.Count];
        var tables = PdfTables.Find(page, above, out open, out bool continued);
        wentOn = false;
        bool placed = false; // whether the page's last table is in place as rows
        foreach (var table in tables)
        {
            var count = new Dictionary<int, int>();
            bool known = true;
            foreach (var letter in table.SelectMany(r => r.Letters).Where(l => !string.IsNullOrWhiteSpace(l.Value)))
            {
                if (!lineOf.TryGetValue(letter, out int at))
                {
                    known = false;
                    break;
                }
                count[at] = count.GetValueOrDefault(at) + 1;
            }
            if (!known || count.Count == 0) continue;
            int first = count.Keys.Min(), last = count.Keys.Max();
            if (Enumerable.Range(first, last - first + 1).Any(i => count.GetValueOrDefault(i) != letterCount[i] || replaced[i] is not null)) continue;
            replaced[first] = (last + 1, [.. table.Select(r => new PdfLine(TableRowText.Join(r.Cells) ?? "",
                Median([.. r.Letters.Select(l => l.PointSize)]), r.Letters.All(IsBold),
                Y(page, r.Letters.Max(l => Math.Max(l.BoundingBox.Top, l.BoundingBox.Bottom)), r.Letters.Min(l => Math.Min(l.BoundingBox.Top, l.BoundingBox.Bottom))),
                Row: true))]);
            for (int i = first + 1; i <= last; i++) replaced[i] = (-1, []);
            wentOn |= continued && ReferenceEquals(table, tables[0]);
            placed = ReferenceEquals(table, tables[^1]);
        }
        if (!placed) open = null; // the rows of a table left as its lines go on with nothing on the next page
        var result = new List<PdfLine>(lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            if (replaced[i] is not { } r) result.Add(lines[i]);
            else if (r.End > 0) result.AddRange(r.Rows);
        }
        return result;
    }

    // Where letters from top to bottom lie on the page, as PdfLine.Y measures it; NaN off the page as PdfPig measures it
    // (a turned page's frame): not known.
    private static double Y(Page page, double top, double bottom)
    {
        double y = page.Height > 0 ? (page.Height - (top + bottom) / 2) / page.Height : double.NaN;
        return y is < 0 or > 1 ? double.NaN : y;
    }

    /// <summary>
    /// Whether a letter is in a bold font: the font says so (its descriptor's weight or flags, as PdfPig reads them) or its
    /// name, less a subset prefix, names a bold weight after the family's name ("ABCDEF+Calibri-Bold", "Arial,Bold",
    /// "Inter-SemiBold", "Arial Black", "Avenir-Heavy").
    /// </summary>
    public static bool IsBold(Letter letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        if (letter.FontDetails is { } font && (font.IsBold || font.Weight > FontDetails.DefaultWeight)) return true;
        string name = letter.FontName ?? letter.FontDetails?.Name ?? "";
        int plus = name.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0) name = name[(plus + 1)..];
        // after the family's name, so that a family called "Blackadder" is not bold
        return name.IndexOf("Bold", StringComparison.OrdinalIgnoreCase) > 0 || name.IndexOf("Black", StringComparison.OrdinalIgnoreCase) > 0
            || name.IndexOf("Heavy", StringComparison.OrdinalIgnoreCase) > 0;
    }

    private static double Median(List<double>? sizes)
    {
        if (sizes is null || sizes.Count == 0) return 0;
        sizes.Sort();
        return sizes[sizes.Count / 2];
    }
}
