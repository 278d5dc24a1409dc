using System.Text.Json;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// .jsonl: one document per line from a text column (default <c>text</c>); an optional <c>title</c> field becomes its
/// heading. Each row's source is <c>file:line</c>. A line that is not a JSON object, or lacks the column, is an error
/// naming file and line.
/// </summary>
public static class JsonlReader
{
    /// <summary>Each row's source and blocks.</summary>
    public static List<(string Source, List<DocumentBlock> Blocks)> Read(string path, string textColumn)
    {
        var result = new List<(string, List<DocumentBlock>)>();
        int line = 0;
        foreach (var raw in PlainTextReader.ReadUtf8(path).Split('\n'))
        {
            line++;
            if (raw.Trim().Length == 0) continue;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(raw);
            }
            catch (JsonException)
            {
                throw new DataException($"{path}:{line}: not a JSON object");
            }
            using (doc)
            {
                var e = doc.RootElement;
                if (e.ValueKind != JsonValueKind.Object) throw new DataException($"{path}:{line}: not a JSON object");
                if (!e.TryGetProperty(textColumn, out var text) || text.ValueKind != JsonValueKind.String)
                    throw new DataException($"{path}:{line}: no string column \"{textColumn}\" (choose one with --text-column)");
                var blocks = new List<DocumentBlock>();
                if (e.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String && textColumn != "title")
                    blocks.Add(new DocumentBlock(BlockKind.Heading, title.GetString()!));
                blocks.AddRange(PlainTextReader.Paragraphs(text.GetString()!));
                result.Add(($"{path}:{line}", blocks));
            }
        }
        return result;
    }
}
