using System.Text.Json;
using Skald.Tokenizers.Serialization;

namespace Skald.Retrieval.Data;

/// <summary>
/// Readers for the JSON-lines and TSV files of evaluation data, with errors that name the file and line. A
/// <c>.parquet</c> file is accepted by both in their place (how Hugging Face publishes datasets): its columns are the
/// fields, and "line" in messages is the row number.
/// </summary>
public static class DataFiles
{
    /// <summary>
    /// Reads a JSON-lines file; blank lines are skipped; <paramref name="map"/> gets each object and its 1-based line.
    /// A <c>.parquet</c> file gives one object per row whose fields are its columns (values as strings, nulls as null,
    /// a list of texts as an array of strings);
    /// a column in <paramref name="columns"/> that the file lacks is reported once, naming the file and column.
    /// </summary>
    public static List<T> ReadJsonLines<T>(string path, Func<JsonElement, int, T> map, params string[] columns)
    {
        if (!File.Exists(path)) throw new EvaluationException(NotAFile(path));
        if (IsParquet(path)) return ReadParquetObjects(path, map, columns);
        var result = new List<T>();
        int line = 0;
        foreach (var raw in TextFile.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(raw);
            }
            catch (JsonException e)
            {
                throw new EvaluationException($"{path}:{line}: {JsonLineError.Describe(e, raw)}");
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw NotAnObject(path, line);
                result.Add(map(doc.RootElement, line));
            }
        }
        return result;
    }

    /// <summary>The error for line <paramref name="line"/> of a JSON Lines file that holds valid JSON but no object.</summary>
    public static EvaluationException NotAnObject(string path, int line) => new($"{path}:{line}: expected a JSON object");

    /// <summary>
    /// The text of a JSON string value, or null when it holds a lone surrogate escape such as <c>"\ud800"</c>: valid JSON
    /// but not text (no UTF-8 can carry it; HF tokenizers refuse it), so readers report the file and line instead.
    /// </summary>
    public static string? TextOrNull(JsonElement v)
    {
        try
        {
            return v.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The message for a field holding a lone surrogate escape (see <see cref="TextOrNull"/>).</summary>
    public static string LoneSurrogate(string field) =>
        $"field \"{field}\" holds a lone UTF-16 surrogate escape (such as \\ud800), which is not text";

    /// <summary>A string field (numbers are accepted and written invariantly); missing or null is an error.</summary>
    public static string String(JsonElement e, string name, string path, int line, bool allowEmpty = false)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw new EvaluationException($"{path}:{line}: missing field \"{name}\"");
        string s = v.ValueKind switch
        {
            JsonValueKind.String => TextOrNull(v) ?? throw new EvaluationException($"{path}:{line}: {LoneSurrogate(name)}"),
            JsonValueKind.Number => v.GetRawText(),
            _ => throw new EvaluationException($"{path}:{line}: field \"{name}\" must be a string"),
        };
        if (!allowEmpty && string.IsNullOrWhiteSpace(s)) throw new EvaluationException($"{path}:{line}: field \"{name}\" is empty");
        return s;
    }

    /// <summary>
    /// A text field: as <see cref="String"/>, but a number (or any other non-string) is one line naming the file, line
    /// and field, since a text field holding 42 is a wrong column or a broken export, not the text "42" (the Parquet
    /// reader refuses a numeric text column the same way).
    /// </summary>
    public static string Text(JsonElement e, string name, string path, int line, bool allowEmpty = false)
    {
        if (e.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            throw new EvaluationException(NotTextField(path, line, name, v));
        return String(e, name, path, line, allowEmpty);
    }

    /// <summary>An optional text field: "" when missing or null; a non-string is one line as in <see cref="Text"/>.</summary>
    public static string OptionalText(JsonElement e, string name, string path, int line)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return "";
        if (v.ValueKind != JsonValueKind.String) throw new EvaluationException(NotTextField(path, line, name, v));
        return TextOrNull(v) ?? throw new EvaluationException($"{path}:{line}: {LoneSurrogate(name)}");
    }

    private static string NotTextField(string path, int line, string name, JsonElement v)
    {
        string raw = v.GetRawText();
        if (raw.Length > 40) raw = raw[..40] + "…";
        string kind = v.ValueKind is JsonValueKind.True or JsonValueKind.False ? "boolean" : v.ValueKind.ToString().ToLowerInvariant();
        return $"{path}:{line}: field \"{name}\" must be a string (a text), found {kind} {raw}";
    }

    /// <summary>
    /// Reads a tab-separated file whose first line is a header naming at least <paramref name="columns"/>; returns
    /// each row's values for those columns in that order, with its line number.
    /// </summary>
    public static List<(string[] Values, int Line)> ReadTsv(string path, params string[] columns)
    {
        if (!File.Exists(path)) throw new EvaluationException(NotAFile(path));
        if (IsParquet(path)) return ReadParquetColumns(path, columns);
        using var reader = TextFile.ReadLines(path).GetEnumerator();
        string? header = (reader.MoveNext() ? reader.Current : null) ?? throw new EvaluationException($"{path}: empty file (expected a header: {string.Join(" ", columns)})");
        var names = header.TrimEnd('\r').Split('\t');
        var idx = columns.Select(c => Array.IndexOf(names, c)).ToArray();
        for (int i = 0; i < columns.Length; i++)
        {
            if (idx[i] < 0) throw new EvaluationException($"{path}:1: header has no column \"{columns[i]}\" (found: {string.Join(", ", names)})");
        }
        var rows = new List<(string[], int)>();
        int line = 1;
        while (reader.MoveNext() && reader.Current is { } raw)
        {
            line++;
            if (raw.Trim().Length == 0) continue;
            var parts = raw.TrimEnd('\r').Split('\t');
            if (parts.Length != names.Length)
                throw new EvaluationException($"{path}:{line}: expected {names.Length} tab-separated fields, found {parts.Length}");
            rows.Add((idx.Select(i => parts[i]).ToArray(), line));
        }
        return rows;
    }

    /// <summary>Parses a number written with '.' as decimal separator.</summary>
    public static double Number(string s, string path, int line, string what) =>
        double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new EvaluationException($"{path}:{line}: {what} \"{s}\" is not a number");

    /// <summary>
    /// Refuses <paramref name="columns"/> of the Parquet file <paramref name="path"/> that a task reads as texts but that
    /// hold numbers (or other non-text values), from the schema: one line naming the file, the column and its type, as
    /// the training reader says it. A column the file lacks is left to the reader; ids are not text columns (a numeric
    /// id is read as its string form). Other formats pass.
    /// </summary>
    public static void RequireText(string path, params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (!IsParquet(path) || !File.Exists(path)) return;
        var nonText = ParquetTableReader.NonTextColumns(path);
        foreach (var c in columns)
        {
            if (nonText.TryGetValue(c, out var type)) throw new EvaluationException(NotText(path, c, type));
        }
    }

    /// <summary>The message for a column read as text that holds values of <paramref name="type"/> (e.g. int64).</summary>
    public static string NotText(string path, string column, string type) =>
        $"{path}: column '{column}' has type {type}, not string (a text column must hold texts)";

    /// <summary>Whether <paramref name="path"/> names a Parquet file (by its extension).</summary>
    public static bool IsParquet(string path) => path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The data file <paramref name="stem"/> in <paramref name="folder"/>: <c>stem.jsonl</c> when it exists, else
    /// <c>stem.parquet</c> when that exists, else the <c>.jsonl</c> path (so "file not found" names what was expected).
    /// </summary>
    public static string InFolder(string folder, string stem)
    {
        string jsonl = Path.Combine(folder, stem + ".jsonl"), parquet = Path.Combine(folder, stem + ".parquet");
        return !File.Exists(jsonl) && File.Exists(parquet) ? parquet : jsonl;
    }

    private static List<T> ReadParquetObjects<T>(string path, Func<JsonElement, int, T> map, string[] columns)
    {
        var (header, rows) = ParquetTableReader.Read(path, textLists: true);
        foreach (var c in columns)
        {
            if (!header.Contains(c)) throw new EvaluationException(ParquetTableReader.MissingColumn(path, c, header));
        }
        var lists = ParquetTableReader.TextListColumns(path);
        var result = new List<T>(rows.Count);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var (row, values) in rows)
        {
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                for (int c = 0; c < header.Count; c++)
                {
                    w.WritePropertyName(header[c]);
                    if (values[c] is not { } v) w.WriteNullValue();
                    else if (lists.Contains(header[c])) w.WriteRawValue(v); // a JSON array of strings
                    else w.WriteStringValue(v);
                }
                w.WriteEndObject();
            }
            using var doc = JsonDocument.Parse(buffer.WrittenMemory);
            result.Add(map(doc.RootElement, row));
        }
        return result;
    }

    private static List<(string[] Values, int Line)> ReadParquetColumns(string path, string[] columns)
    {
        var (header, rows) = ParquetTableReader.Read(path);
        var idx = columns.Select(c => header.IndexOf(c)).ToArray();
        for (int i = 0; i < columns.Length; i++)
        {
            if (idx[i] < 0) throw new EvaluationException(ParquetTableReader.MissingColumn(path, columns[i], header));
        }
        return [.. rows.Select(r => (idx.Select(i => r.Values[i] ?? "").ToArray(), r.Line))];
    }

    /// <summary>
    /// Why <paramref name="path"/>, which is not a file, cannot be read as one: "file not found", or that it is a folder
    /// (a folder given with a --type whose tasks are files, such as a retrieval folder with --type sts).
    /// </summary>
    public static string NotAFile(string path) =>
        Directory.Exists(path) ? $"{path}: is a folder, not a file" : $"{path}: file not found";
}
