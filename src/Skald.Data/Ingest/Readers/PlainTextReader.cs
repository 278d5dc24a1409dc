using System.Text;

namespace Skald.Data.Ingest.Readers;

/// <summary>.txt: UTF-8 (a BOM is honoured); paragraphs are separated by blank lines; line breaks inside a paragraph stay for the hyphenation clean-up.</summary>
public static class PlainTextReader
{
    /// <summary>The paragraphs of the file at <paramref name="path"/>.</summary>
    public static List<DocumentBlock> Read(string path) => Paragraphs(ReadUtf8(path));

    /// <summary>Reads a file as strict UTF-8; invalid bytes are a <see cref="DataException"/>.</summary>
    public static string ReadUtf8(string path)
    {
        try
        {
            return File.ReadAllText(path, new UTF8Encoding(false, true));
        }
        catch (DecoderFallbackException)
        {
            throw new DataException($"{path}: not valid UTF-8 text");
        }
    }

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
