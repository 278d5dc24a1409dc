using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// .html (AngleSharp's HTML5 parser): h1–h6 become headings; a table row is one <see cref="BlockKind.TableRow"/> block, its cells' text
/// joined as <see cref="TableRowText"/> writes it (an empty cell keeps its place; a cell spanning columns or rows stands in
/// each place it covers, <see cref="HtmlTableRows"/>; a row holding a nested table is read cell by cell); p, li, dt, dd, blockquote, pre, figcaption and caption
/// are paragraphs; script, style, noscript, template, nav, header, footer, aside and form are dropped; loose text
/// inside other elements (a div holding text directly) is a paragraph too. The title is the first heading when the body
/// has none.
/// </summary>
public static class HtmlReader
{
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    { "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg", "iframe", "button", "select" };

    private static readonly HashSet<string> Paragraphs = new(StringComparer.OrdinalIgnoreCase)
    { "p", "li", "td", "th", "dt", "dd", "blockquote", "pre", "figcaption", "caption", "address", "summary" };

    /// <summary>The headings and paragraphs of the file at <paramref name="path"/>.</summary>
    public static List<DocumentBlock> Read(string path) => Parse(PlainTextReader.ReadText(path));

    /// <summary>The headings and paragraphs of an HTML document.</summary>
    public static List<DocumentBlock> Parse(string html)
    {
        var doc = new HtmlParser().ParseDocument(html);
        var blocks = new List<DocumentBlock>();
        if (doc.Body is { } body) Walk(body, blocks, new(ReferenceEqualityComparer.Instance));
        if (!blocks.Any(b => b.Kind == BlockKind.Heading) && doc.Title is { Length: > 0 } title)
            blocks.Insert(0, new DocumentBlock(BlockKind.Heading, title));
        return blocks;
    }

    // `tables`: the rows of the row groups met so far, each with its cells by column (HtmlTableRows).
    private static void Walk(IElement element, List<DocumentBlock> blocks, Dictionary<IElement, List<string>> tables)
    {
        var loose = new System.Text.StringBuilder();
        foreach (var node in element.ChildNodes)
        {
            if (node is IText text)
            {
                loose.Append(text.Data);
                continue;
            }
            if (node is not IElement child) continue;
            string name = child.LocalName;
            if (Dropped.Contains(name)) continue;
            if (name is "br") { loose.Append('\n'); continue; }
            if (name is "tr" && child.QuerySelector("table") is null)
            {
                FlushLoose(loose, blocks);
                if (!tables.TryGetValue(child, out var cells))
                {
                    foreach (var (tr, rowCells) in HtmlTableRows.Of(element)) tables[tr] = rowCells;
                    cells = tables[child];
                }
                if (TableRowText.Join(cells) is { } row) blocks.Add(new DocumentBlock(BlockKind.TableRow, row));
                continue;
            }
            bool heading = name.Length == 2 && name[0] == 'h' && name[1] is >= '1' and <= '6';
            if (heading || Paragraphs.Contains(name) || IsInline(name))
            {
                if (IsInline(name)) { loose.Append(child.TextContent); continue; }
                FlushLoose(loose, blocks);
                if (Paragraphs.Contains(name) && child.QuerySelector("p, li, ul, ol, table, h1, h2, h3, h4, h5, h6, div") is not null)
                {
                    Walk(child, blocks, tables); // a list item or cell holding blocks of its own
                    continue;
                }
                blocks.Add(new DocumentBlock(heading ? BlockKind.Heading : BlockKind.Paragraph, child.TextContent));
                continue;
            }
            FlushLoose(loose, blocks);
            Walk(child, blocks, tables);
        }
        FlushLoose(loose, blocks);
    }

    private static bool IsInline(string name) => name is "a" or "span" or "b" or "strong" or "i" or "em" or "u" or "small" or "sub"
        or "sup" or "abbr" or "code" or "mark" or "q" or "s" or "time" or "cite" or "kbd" or "var" or "label";

    private static void FlushLoose(System.Text.StringBuilder loose, List<DocumentBlock> blocks)
    {
        if (loose.ToString().Trim().Length > 0) blocks.Add(new DocumentBlock(BlockKind.Paragraph, loose.ToString()));
        loose.Clear();
    }
}
