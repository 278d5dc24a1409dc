using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// .docx (Open XML SDK): the main document body's paragraphs and tables in order. A paragraph whose style is Title or a
/// heading (Heading1–9, or a localised "Overskrift"/"Rubrik" style, or one with an outline level) is a heading; a
/// table row is one <see cref="BlockKind.TableRow"/> block, its cells' text joined by " | " (a nested table's text stays in its cell), so a row's
/// facts stay together in a chunk. Content controls and other wrappers are read through. Tabs and line breaks inside a
/// paragraph become spaces.
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
        Walk(body, styles, blocks);
        return blocks;
    }

    private static void Walk(OpenXmlElement parent, Styles? styles, List<DocumentBlock> blocks)
    {
        foreach (var element in parent.ChildElements)
        {
            switch (element)
            {
                case Paragraph p:
                    string text = TextOf(p);
                    if (text.Trim().Length > 0) blocks.Add(new DocumentBlock(IsHeading(p, styles) ? BlockKind.Heading : BlockKind.Paragraph, text));
                    break;
                case Table table:
                    foreach (var row in table.Elements<TableRow>())
                    {
                        var cells = row.Elements<TableCell>()
                            .Select(c => string.Join(" ", c.Descendants<Paragraph>().Select(TextOf).Select(t => t.Trim()).Where(t => t.Length > 0)))
                            .Where(c => c.Length > 0).ToList();
                        if (cells.Count > 0) blocks.Add(new DocumentBlock(BlockKind.TableRow, string.Join(" | ", cells)));
                    }
                    break;
                default:
                    Walk(element, styles, blocks); // content controls (sdt), custom XML, smart tags
                    break;
            }
        }
    }

    private static string TextOf(Paragraph p)
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
        return sb.ToString();
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
