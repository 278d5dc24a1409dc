using System.Text;
using Skald.Tokenizers.Serialization;

namespace Skald.Data.Ingest.Readers;

/// <summary>.txt: UTF-8 (a BOM is honoured) or UTF-16 with its byte order mark (<see cref="TextEncoding"/>); paragraphs
/// are separated by blank lines, and after a heading-like line as in a PDF (<see cref="PdfReader.SeparateHeadingLines"/>:
/// "Sykdom i ferien" on its own line above the text); a line that stands alone between blank lines and reads as a
/// heading is one (<see cref="TextHeadings"/>); line breaks inside a paragraph stay for the hyphenation clean-up.</summary>
public static class PlainTextReader
{
    /// <summary>The headings and paragraphs of the file at <paramref name="path"/>.</summary>
    public static List<DocumentBlock> Read(string path) => Parse(ReadText(path));

    /// <summary>The headings and paragraphs of plain text: <see cref="Paragraphs"/> after
    /// <see cref="PdfReader.SeparateHeadingLines"/>, the lines <see cref="TextHeadings.Find"/> finds as headings.</summary>
    public static List<DocumentBlock> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var headings = TextHeadings.Find(Paragraphs(text));
        var blocks = Paragraphs(PdfReader.SeparateHeadingLines(text));
        int line = 0; // the first line of each block, counted over the lines with text (SeparateHeadingLines only adds blank lines)
        for (int b = 0; b < blocks.Count; b++)
        {
            int lines = blocks[b].Text.TrimEnd('\n').Split('\n').Length;
            if (lines == 1 && headings.Contains(line)) blocks[b] = new DocumentBlock(BlockKind.Heading, blocks[b].Text.Trim());
            line += lines;
        }
        return blocks;
    }

    /// <summary>Reads a text file strictly as UTF-8 (a BOM is skipped) or UTF-16 with its byte order mark
    /// (<see cref="Utf8File.ReadAllText"/>); bytes that do not decode are a <see cref="DataException"/> naming the line and
    /// byte offset of the first bad sequence (<see cref="TextEncoding.Problem"/>), so a Windows-1252 or Latin-1 file of æ, ø
    /// and å is found at once, and UTF-16 without its mark one naming what the file is.
    /// Line ends come back as <c>\n</c>, from <c>\r\n</c> and from an old Mac file's lone <c>\r</c> alike, so its
    /// paragraphs split at blank lines as any other's.</summary>
    public static string ReadText(string path) =>
        Utf8File.ReadAllText(path, message => new DataException(message)).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    /// <summary>Text split at blank lines into paragraphs.</summary>
    public static List<DocumentBlock> Paragraphs(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var blocks = new List<DocumentBlock>();
        var current = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                Flush(blocks, current);
                continue;
            }
            current.Append(line).Append('\n');
        }
        Flush(blocks, current);
        return blocks;
    }

    private static void Flush(List<DocumentBlock> blocks, StringBuilder current)
    {
        if (current.Length > 0) blocks.Add(new DocumentBlock(BlockKind.Paragraph, current.ToString()));
        current.Clear();
    }
}
