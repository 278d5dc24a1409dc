using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// .docx (Open XML SDK): every paragraph of the main document body in order (table cells included); a paragraph whose
/// style is Title or a heading (Heading1–9, or a localised "Overskrift"/"Rubrik" style, or one with an outline level)
/// is a heading. Tabs and line breaks inside a paragraph become spaces.
/// </summary>
public static class DocxReader
{
    /// <summary>The headings and paragraphs of the file at <paramref name="path"/>.</summary>
    public static List<DocumentBlock> Read(string path)
    {
        using var doc = WordprocessingDocument.Open(path, false);
        var body = doc.MainDocumentPart?.Document?.Body ?? throw new DataException($"{path}: no document body");
        var styles = doc.MainDocumentPart.StyleDefinitionsPart?.Styles;
        var blocks = new List<DocumentBlock>();
        foreach (var p in body.Descendants<Paragraph>())
        {
            var sb = new System.Text.StringBuilder();
            foreach (var el in p.Descendants())
            {
                switch (el)
                {
                    case Text t: sb.Append(t.Text); break;
                    case TabChar or Break or CarriageReturn: sb.Append(' '); break;
                }
            }
            if (sb.ToString().Trim().Length == 0) continue;
            blocks.Add(new DocumentBlock(IsHeading(p, styles) ? BlockKind.Heading : BlockKind.Paragraph, sb.ToString()));
        }
        return blocks;
    }

    private static bool IsHeading(Paragraph p, Styles? styles)
    {
        var props = p.ParagraphProperties;
        if (props?.OutlineLevel?.Val is { } level && level.Value < 9) return true;
        string? id = props?.ParagraphStyleId?.Val?.Value;
        if (id is null) return false;
        if (LooksLikeHeading(id)) return true;
        var style = styles?.Elements<Style>().FirstOrDefault(s => s.StyleId?.Value == id);
        return style?.StyleName?.Val?.Value is { } name && LooksLikeHeading(name);
    }

    private static bool LooksLikeHeading(string name) =>
        name.StartsWith("heading", StringComparison.OrdinalIgnoreCase) || name.StartsWith("title", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("overskrift", StringComparison.OrdinalIgnoreCase) || name.StartsWith("rubrik", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("tittel", StringComparison.OrdinalIgnoreCase) || name.StartsWith("titel", StringComparison.OrdinalIgnoreCase);
}
