using System.Text;
using Skald.Tokenizers.Serialization;

namespace Skald.Data.Ingest.Readers;

/// <summary>.txt: UTF-8 (a BOM is honoured); paragraphs are separated by blank lines, and after a heading-like line as in a
/// PDF (<see cref="PdfReader.SeparateHeadingLines"/>: "Sykdom i ferien" on its own line above the text); line breaks
/// inside a paragraph stay for the hyphenation clean-up.</summary>
public static class PlainTextReader
{
    /// <summary>The paragraphs of the file at <paramref name="path"/>.</summary>
    public static List<DocumentBlock> Read(string path) => Paragraphs(PdfReader.SeparateHeadingLines(ReadUtf8(path)));

    /// <summary>Reads a file as strict UTF-8 (a BOM is skipped); invalid bytes are a <see cref="DataException"/> naming the
    /// line and byte offset of the first bad sequence (<see cref="Utf8File.Problem"/>), so a Windows-1252 or Latin-1 file
    /// of æ, ø and å is found at once.
    /// Line ends come back as <c>\n</c>, from <c>\r\n</c> and from an old Mac file's lone <c>\r</c> alike, so its
    /// paragraphs split at blank lines as any other's.</summary>
    public static string ReadUtf8(string path) =>
        Utf8File.ReadAllText(path, message => new DataException(message)).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    /// <summary>Text split at blank lines into paragraphs.</summary>
    public static List<DocumentBlock> Paragraphs(string text)
    {
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
