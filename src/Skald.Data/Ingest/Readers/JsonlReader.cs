using System.Text.Json;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// .jsonl: one document per line from a text column (default <c>text</c>); an optional <c>title</c> field becomes its
/// heading; its other columns are its <see cref="Fields"/>. Each row's source is <c>file:line</c>. A line that is not a
/// JSON object, or lacks the column, is an error naming file and line.
/// </summary>
public static class JsonlReader
{
    /// <summary>Each row's source and blocks.</summary>
    public static List<(string Source, List<DocumentBlock> Blocks)> Read(string path, string textColumn)
    {
        var result = new List<(string, List<DocumentBlock>)>();
        ForEachRow(path, textColumn, (line, row, text) =>
        {
            var blocks = new List<DocumentBlock>();
            if (row.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String && textColumn != "title")
                blocks.Add(new DocumentBlock(BlockKind.Heading, String(title, path, line, "title")));
            blocks.AddRange(PlainTextReader.Paragraphs(text));
            result.Add(($"{path}:{line}", blocks));
        });
        return result;
    }

    /// <summary>Longest value <see cref="Fields"/> keeps (characters): a label to filter on, not a second text.</summary>
    public const int MaxFieldLength = 256;

    /// <summary>
    /// Each row's own columns besides the text column and <c>title</c>, by its source (<c>file:line</c>): strings as
    /// they are, numbers as written, booleans as <c>true</c> / <c>false</c>; null, arrays, objects and values longer
    /// than <see cref="MaxFieldLength"/> are left out.
    /// </summary>
    public static Dictionary<string, IReadOnlyDictionary<string, string>> Fields(string path, string textColumn)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        ForEachRow(path, textColumn, (line, row, _) =>
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in row.EnumerateObject())
            {
                if (p.Name == textColumn || p.Name == "title") continue;
                string? value = p.Value.ValueKind switch
                {
                    JsonValueKind.String => String(p.Value, path, line, p.Name),
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => null,
                };
                if (value is not null && value.Length <= MaxFieldLength) fields[p.Name] = value;
            }
            if (fields.Count > 0) result[$"{path}:{line}"] = fields;
        });
        return result;
    }

    // A JSON string's text; one holding a lone surrogate escape (valid JSON, no text) is one line naming file, line and column.
    private static string String(JsonElement v, string path, int line, string column) =>
        Skald.Retrieval.Data.DataFiles.TextOrNull(v) ?? throw new DataException($"{path}:{line}: {Skald.Retrieval.Data.DataFiles.LoneSurrogate(column)}");

    // Every non-blank line as a JSON object with its text column (a line that is not, an error naming file and line).
    private static void ForEachRow(string path, string textColumn, Action<int, JsonElement, string> row)
    {
        int line = 0;
        foreach (var raw in PlainTextReader.ReadText(path).Split('\n'))
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
                row(line, e, String(text, path, line, textColumn));
            }
        }
    }
}
