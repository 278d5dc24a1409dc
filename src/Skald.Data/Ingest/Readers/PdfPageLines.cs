using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// A typed page's text in content order (PdfPig's <c>ContentOrderTextExtractor</c>), line by line, each line with the
/// median point size of its letters. The extractor's text is its letters' values in their order with spaces and line
/// breaks put between them, so walking both side by side tells which line each letter went to.
/// </summary>
public static class PdfPageLines
{
    /// <summary>The lines of <paramref name="page"/>'s text; their sizes are all 0 if the text cannot be matched to the
    /// letters (the lines themselves are the extractor's either way).</summary>
    public static List<PdfLine> Of(Page page)
    {
        ArgumentNullException.ThrowIfNull(page);
        string text = ContentOrderTextExtractor.GetText(page);
        string[] lines = text.Split('\n');
        var sizes = new List<double>[lines.Length];
        int pos = 0, line = 0;
        bool matched = true;
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
            pos += v.Length;
        }
        var result = new List<PdfLine>(lines.Length);
        for (int i = 0; i < lines.Length; i++) result.Add(new PdfLine(lines[i], matched ? Median(sizes[i]) : 0));
        return result;
    }

    private static double Median(List<double>? sizes)
    {
        if (sizes is null || sizes.Count == 0) return 0;
        sizes.Sort();
        return sizes[sizes.Count / 2];
    }
}
