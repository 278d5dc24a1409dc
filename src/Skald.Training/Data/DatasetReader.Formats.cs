using System.Text;
using System.Text.Json;
using Skald.Tokenizers.Serialization;
using Skald.Training.Config;

namespace Skald.Training.Data;

// DatasetReader, continued: the file formats read into a raw table (JSONL objects, CSV per RFC 4180, TSV).
public static partial class DatasetReader
{
    /// <summary>Whether <paramref name="path"/> is read as JSON records (.jsonl or .json).</summary>
    private static bool IsJson(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".jsonl" or ".json";

    /// <summary>
    /// The records of a JSON data file, one JSON text per entry, entry i standing for line i + 1 in messages: a .jsonl
    /// file's lines; a .json file as datasets' <c>load_dataset("json")</c> reads it (FlagEmbedding's loader): JSON Lines,
    /// or one JSON array of objects (element i then counts as line i + 1). Any other .json content is one line.
    /// </summary>
    internal static string[] JsonRecords(string path)
    {
        string[] lines = Lines(path);
        if (!Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase)) return lines;
        string? first = lines.FirstOrDefault(l => !string.IsNullOrWhiteSpace(l))?.TrimStart();
        if (first is null) return lines;
        if (first.StartsWith('['))
        {
            try
            {
                using var doc = JsonDocument.Parse(string.Join('\n', lines));
                if (doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.GetArrayLength() == 0)
                    throw new TrainingException($"{path}: empty (a JSON array of no rows); give it rows or remove it");
                if (doc.RootElement.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object))
                    return [.. doc.RootElement.EnumerateArray().Select(e => e.GetRawText())];
            }
            catch (JsonException e)
            {
                throw new TrainingException($"{path}: a JSON array that does not parse ({e.Message})");
            }
            throw new TrainingException($"{path}: a JSON array of other things than objects; a .json data file is JSON Lines or an array of objects, one per row");
        }
        try
        {
            using var _ = JsonDocument.Parse(first);
        }
        catch (JsonException)
        {
            throw new TrainingException($"{path}: neither JSON Lines (one object per line) nor a JSON array of objects, the two a .json data file may hold");
        }
        return lines;
    }

    private static RawTable ReadJsonLines(string path, string[] lines, bool lists)
    {
        List<string>? header = null;
        var rows = new List<(int, string?[])>();
        var listColumns = new HashSet<string>(StringComparer.Ordinal);
        var textColumns = new HashSet<string>(StringComparer.Ordinal);
        var numbers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            int line = i + 1;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(lines[i]);
            }
            catch (JsonException e)
            {
                throw new TrainingException($"{path}:{line}: {JsonLineError.Describe(e, lines[i])}");
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new TrainingException($"{path}:{line}: expected a JSON object with one key per column");
                if (header is null)
                {
                    header = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
                    if (header.Count == 0) throw new TrainingException($"{path}:{line}: the object has no columns");
                }
                var values = new string?[header.Count];
                var seen = 0;
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (!names.Add(p.Name)) throw new TrainingException($"{path}:{line}: key '{p.Name}' appears twice in the object");
                    int k = header.IndexOf(p.Name);
                    if (k < 0)
                        throw new TrainingException($"{path}:{line}: unexpected column '{p.Name}' (the first line has {string.Join(", ", header)})");
                    bool idNumbers = IsIdNumbers(p.Value, p.Name), nullIds = IsIdsWithNulls(p.Value, p.Name);
                    values[k] = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => Retrieval.Data.DataFiles.TextOrNull(p.Value)
                            ?? throw new TrainingException($"{path}:{line}: {Retrieval.Data.DataFiles.LoneSurrogate(p.Name)}"),
                        JsonValueKind.Number or JsonValueKind.Array when LabelNames.Contains(p.Name) => p.Value.GetRawText(),
                        JsonValueKind.Number when Losses.ColbertColumns.IsId(p.Name) => IdNumber(p.Value, p.Name, numbers),
                        JsonValueKind.Array when idNumbers => IdNumbers(p.Value, p.Name, numbers),
                        JsonValueKind.Array when nullIds => IdsWithNulls(p.Value, p.Name, numbers),
                        JsonValueKind.Array when lists && p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
                            p.Value.EnumerateArray().All(e => Retrieval.Data.DataFiles.TextOrNull(e) is not null) ? p.Value.GetRawText() // (read again as JSON)
                            : throw new TrainingException($"{path}:{line}: {Retrieval.Data.DataFiles.LoneSurrogate(p.Name)}"),
                        JsonValueKind.Array when lists => throw new TrainingException($"{path}:{line}: column '{p.Name}' must be a non-empty list of texts"),
                        JsonValueKind.Null => null,
                        _ => throw new TrainingException($"{path}:{line}: column '{p.Name}' must be a string"),
                    };
                    if (p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Array && !LabelNames.Contains(p.Name) && !idNumbers && !nullIds)
                    {
                        var (mine, other) = p.Value.ValueKind == JsonValueKind.Array ? (listColumns, textColumns) : (textColumns, listColumns);
                        mine.Add(p.Name);
                        if (other.Contains(p.Name))
                            throw new TrainingException($"{path}:{line}: column '{p.Name}' holds a {(mine == listColumns ? "list" : "text")} here and a {(mine == listColumns ? "text" : "list")} on an earlier line");
                    }
                    seen++;
                }
                if (seen < header.Count)
                {
                    string missing = header.First(h => !doc.RootElement.TryGetProperty(h, out _));
                    throw new TrainingException($"{path}:{line}: missing column '{missing}'");
                }
                rows.Add((line, values));
            }
        }
        return new RawTable(header ?? [], rows, listColumns) { NonText = numbers };
    }

    /// <summary>
    /// A number in an id column (a name containing <c>_id</c>, PyLate's <c>{"query_id": 17, ...}</c>) as its text, a
    /// whole number written as a float (<c>17.0</c>) as its digits (<see cref="KdProcessing.IdText"/>),
    /// the column marked as one of numbers (<see cref="RawTable.NonText"/>), which only a reader told that id columns
    /// are left out accepts (<see cref="Build"/>).
    /// </summary>
    private static string IdNumber(JsonElement value, string name, Dictionary<string, string> numbers)
    {
        numbers[name] = "number";
        return KdProcessing.IdText(value) ?? value.GetRawText();
    }

    /// <summary>Whether <paramref name="value"/> is a non-empty list of numbers in an id column (PyLate's <c>"document_ids": [17, 4]</c>).</summary>
    private static bool IsIdNumbers(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Array && Losses.ColbertColumns.IsId(name) && value.GetArrayLength() > 0
        && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number);

    /// <summary>
    /// A list of numbers in an id column as its JSON text, the column marked as one of lists of numbers (read as ids by
    /// <see cref="KdProcessing"/>, left out by a ColBERT loss, refused in one line by another, as <see cref="IdNumber"/>).
    /// </summary>
    private static string IdNumbers(JsonElement value, string name, Dictionary<string, string> numbers)
    {
        numbers[name] = "list of number";
        return value.GetRawText();
    }

    /// <summary>
    /// Whether <paramref name="value"/> is a list of ids with a null among them in an id column
    /// (<c>"document_ids": ["d3", null]</c>, <c>[17, null]</c>): only strings, numbers and nulls, at least one null.
    /// </summary>
    private static bool IsIdsWithNulls(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Array && Losses.ColbertColumns.IsId(name)
        && value.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Null)
        && value.EnumerateArray().All(e => e.ValueKind is JsonValueKind.Null or JsonValueKind.String or JsonValueKind.Number);

    /// <summary>
    /// A list of ids with nulls as its JSON text, the column marked as holding such lists (<see cref="NullIds"/>): a
    /// ColBERT loss leaves it out untouched, as PyLate's collator leaves every <c>_id</c> column untokenized, whatever
    /// it holds; <see cref="KdProcessing"/> reads a null id as a document it cannot find (an empty one, as PyLate's
    /// dict lookup of <c>None</c> fails into its empty text); another loss refuses it in one line naming the file and
    /// column. (It was refused on reading, "must be a non-empty list of texts", before anyone looked at it.)
    /// </summary>
    private static string IdsWithNulls(JsonElement value, string name, Dictionary<string, string> numbers)
    {
        numbers[name] = NullIds;
        return value.GetRawText();
    }

    /// <summary>The <see cref="RawTable.NonText"/> type of an id column holding lists with nulls among their ids.</summary>
    internal const string NullIds = "list of ids with nulls";

    private static RawTable ReadDelimited(string path, string[] lines, char sep)
    {
        var records = sep == ',' ? CsvRecords(path, lines) : TsvRecords(lines);
        List<string>? header = null;
        var rows = new List<(int, string?[])>();
        foreach (var (line, fields) in records)
        {
            if (header is null)
            {
                header = fields.Select(f => f.Trim()).ToList();
                var dup = header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
                if (dup is not null) throw new TrainingException($"{path}:{line}: column '{dup.Key}' appears twice in the header");
                continue;
            }
            if (fields.Count < header.Count)
                throw new TrainingException($"{path}:{line}: missing column '{header[fields.Count]}' ({fields.Count} of {header.Count} fields)");
            if (fields.Count > header.Count)
                throw new TrainingException($"{path}:{line}: {fields.Count} fields, the header has {header.Count}");
            rows.Add((line, fields.ToArray<string?>()));
        }
        if (header is null) throw new TrainingException($"{path}: empty file (a header row is needed)");
        return new RawTable(header, rows, []);
    }

    private static IEnumerable<(int Line, List<string> Fields)> TsvRecords(string[] lines)
    {
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            yield return (i + 1, lines[i].Split('\t').ToList());
        }
    }

    /// <summary>RFC 4180 records: quoted fields may hold separators, doubled quotes and line breaks.</summary>
    private static IEnumerable<(int Line, List<string> Fields)> CsvRecords(string path, string[] lines)
    {
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            int start = i + 1;
            var fields = new List<string>();
            var cur = new StringBuilder();
            bool quoted = false;
            string line = lines[i];
            for (int p = 0; ; p++)
            {
                if (p == line.Length)
                {
                    if (!quoted) break;
                    if (++i >= lines.Length) throw new TrainingException($"{path}:{start}: unterminated quoted field");
                    cur.Append('\n');
                    line = lines[i];
                    p = -1;
                    continue;
                }
                char c = line[p];
                if (quoted)
                {
                    if (c != '"') cur.Append(c);
                    else if (p + 1 < line.Length && line[p + 1] == '"') { cur.Append('"'); p++; }
                    else quoted = false;
                }
                else if (c == '"' && cur.Length == 0) quoted = true;
                else if (c == ',') { fields.Add(cur.ToString()); cur.Clear(); }
                else cur.Append(c);
            }
            fields.Add(cur.ToString());
            yield return (start, fields);
        }
    }
}
