using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// .docx (Open XML SDK): the main document body's paragraphs and tables in order. A paragraph whose style is Title or a
/// heading (Heading1–9, or a localised "Overskrift"/"Rubrik" style, or one with an outline level) is a heading; a
/// table row is one <see cref="BlockKind.TableRow"/> block, its cells' text joined as <see cref="TableRowText"/> writes it (an empty
/// cell keeps its place; a merged cell's text stands in each grid column it covers, across and down; a nested table's text
/// stays in its cell), so a row's facts stay together in a chunk. Content controls and other wrappers are read through. Tabs and line breaks inside a
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
                    var above = new List<string>(); // the row above's text in each grid column, for cells merged down (vMerge)
                    foreach (var row in table.Elements<TableRow>())
                    {
                        var cells = Cells(row, above, out bool alone);
                        if (TableRowText.Join(alone ? [cells[0]] : cells) is { } line) blocks.Add(new DocumentBlock(BlockKind.TableRow, line));
                        above = cells;
                    }
                    break;
                default:
                    Walk(element, styles, blocks); // content controls (sdt), custom XML, smart tags
                    break;
            }
        }
    }

    // A row's text in each column of the table's grid: the columns it skips before its first cell (gridBefore) empty, a
    // cell spanning columns (gridSpan) its text in each, a cell merged with the one above (vMerge without "restart") that
    // cell's text, as the reader sees one cell over them all. `alone`: the row is one cell spanning columns, written once
    // (a title across the table, with no columns to keep).
    private static List<string> Cells(TableRow row, List<string> above, out bool alone)
    {
        var cells = new List<string>();
        for (int k = row.TableRowProperties?.GetFirstChild<GridBefore>()?.Val?.Value ?? 0; k > 0; k--) cells.Add("");
        int count = 0;
        foreach (var cell in row.Elements<TableCell>())
        {
            var props = cell.TableCellProperties;
            string text = props?.VerticalMerge is { } merge && (merge.Val is null || merge.Val.Value == MergedCellValues.Continue)
                ? (cells.Count < above.Count ? above[cells.Count] : "")
                : string.Join(" ", cell.Descendants<Paragraph>().Select(TextOf).Select(t => t.Trim()).Where(t => t.Length > 0));
            for (int k = Math.Max(1, props?.GridSpan?.Val?.Value ?? 1); k > 0; k--) cells.Add(text);
            count++;
        }
        alone = count == 1 && cells.Count > 1 && cells.TrueForAll(c => c == cells[0]);
        return cells;
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
