using System.Text;
using System.Text.RegularExpressions;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// .md: ATX headings (<c># Title</c>) and setext headings (a line under-lined with === or ---) become headings; fenced
/// code, HTML comments and tables' rules are dropped; a table row (GFM: the header row above the rule and the rows
/// after it) is one <see cref="BlockKind.TableRow"/> block, its line as <see cref="TableRowText"/> writes it (an empty cell
/// keeps its place), as .docx and .html rows are; list markers, emphasis, inline
/// code ticks, links (<c>[text](url)</c> → text) and images are reduced to their text.
/// </summary>
public static partial class MarkdownReader
{
    /// <summary>The headings and paragraphs of the file at <paramref name="path"/>.</summary>
    public static List<DocumentBlock> Read(string path) => Parse(PlainTextReader.ReadText(path));

    /// <summary>The headings and paragraphs of Markdown text.</summary>
    public static List<DocumentBlock> Parse(string text)
    {
        var blocks = new List<DocumentBlock>();
        var para = new StringBuilder();
        bool fenced = false, inTable = false;
        var lines = HtmlComment().Replace(text, "").Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string trimmed = line.Trim();
            if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
            {
                fenced = !fenced;
                Flush(blocks, para);
                continue;
            }
            if (fenced) continue;
            if (trimmed.Length == 0) { Flush(blocks, para); inTable = false; continue; }
            if (TableRule().IsMatch(trimmed)) { Flush(blocks, para); inTable = true; continue; }
            if (trimmed.Contains('|') && (inTable || (i + 1 < lines.Length && TableRule().IsMatch(lines[i + 1].Trim()))))
            {
                Flush(blocks, para);
                if (TableRowText.Join(Cells(trimmed)) is { } row) blocks.Add(new DocumentBlock(BlockKind.TableRow, row));
                continue;
            }
            inTable = false;
            var atx = Atx().Match(trimmed);
            if (atx.Success)
            {
                Flush(blocks, para);
                blocks.Add(new DocumentBlock(BlockKind.Heading, Inline(atx.Groups[1].Value)));
                continue;
            }
            if (i + 1 < lines.Length && para.Length == 0 && Setext().IsMatch(lines[i + 1].Trim()))
            {
                blocks.Add(new DocumentBlock(BlockKind.Heading, Inline(trimmed)));
                i++;
                continue;
            }
            var item = ListMarker().Match(line);
            if (item.Success)
            {
                Flush(blocks, para); // each list item is its own paragraph
                line = line[item.Length..];
            }
            line = line.TrimStart('>', ' ');
            if (line.Contains('|')) line = line.Replace('|', ' ');
            para.Append(Inline(line)).Append('\n');
        }
        Flush(blocks, para);
        return blocks;
    }

    // A table row's cells (GFM): the text between its pipes, the one at each end (when there is one) only a border, each
    // cell's inline markup reduced; an empty cell stays in its place.
    private static List<string> Cells(string row)
    {
        if (row.StartsWith('|')) row = row[1..];
        if (row.EndsWith('|')) row = row[..^1];
        return [.. row.Split('|').Select(Inline)];
    }

    private static string Inline(string s)
    {
        s = Image().Replace(s, "$1");
        s = Link().Replace(s, "$1");
        s = AutoLink().Replace(s, "$1");
        s = Emphasis().Replace(s, "");
        return s.Replace("`", "").Trim();
    }

    private static void Flush(List<DocumentBlock> blocks, StringBuilder para)
    {
        if (para.ToString().Trim().Length > 0) blocks.Add(new DocumentBlock(BlockKind.Paragraph, para.ToString()));
        para.Clear();
    }

    [GeneratedRegex(@"^#{1,6}\s+(.*?)\s*#*\s*$")]
    private static partial Regex Atx();

    [GeneratedRegex(@"^(=+|-+)$")]
    private static partial Regex Setext();

    [GeneratedRegex(@"^\s*([-*+]|\d+[.)])\s+")]
    private static partial Regex ListMarker();

    [GeneratedRegex(@"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")]
    private static partial Regex TableRule();

    [GeneratedRegex(@"!\[([^\]]*)\]\([^)]*\)")]
    private static partial Regex Image();

    [GeneratedRegex(@"\[([^\]]+)\]\([^)]*\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"<(https?://[^>]+)>")]
    private static partial Regex AutoLink();

    [GeneratedRegex(@"(?<![\p{L}\p{N}])(\*\*|__|\*|_)(?=\S)|(?<=\S)(\*\*|__|\*|_)(?![\p{L}\p{N}])")]
    private static partial Regex Emphasis();

    [GeneratedRegex(@"<!--.*?-->", RegexOptions.Singleline)]
    private static partial Regex HtmlComment();
}
