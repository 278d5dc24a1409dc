using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// .pdf (PdfPig, pure .NET): each page's text in content order (PdfPig's ContentOrderTextExtractor), split into
/// paragraphs at blank lines; words hyphenated at a line end are joined by the clean-up. A PDF without a text layer
/// (scanned pages) yields nothing and is listed as empty.
/// </summary>
public static class PdfReader
{
    /// <summary>The paragraphs of the file at <paramref name="path"/>.</summary>
    public static List<DocumentBlock> Read(string path)
    {
        using var doc = PdfDocument.Open(path);
        var blocks = new List<DocumentBlock>();
        foreach (var page in doc.GetPages())
            blocks.AddRange(PlainTextReader.Paragraphs(ContentOrderTextExtractor.GetText(page)));
        return blocks;
    }
}
