using System.Globalization;
using System.Text.Json;
using Skald.Training.Config;

namespace Skald.Training.Data;

/// <summary>
/// PyLate's <c>utils.KDProcessing</c>: distillation rows that name their texts by id, <c>{"query_id", "document_ids":
/// [...], "scores": [...]}</c>, with the texts in a queries data set (<c>query_id</c>, <c>text</c>) and a documents data
/// set (<c>document_id</c>, <c>text</c>): each row becomes (query, documents, scores), its first <c>n_ways</c> documents
/// and scores kept. Every side is read by the training reader (<see cref="DatasetReader"/>: JSONL, .json, CSV, TSV,
/// Parquet; a hub dataset's shards), so a hub distillation set reads as PyLate's <c>load_dataset</c> gives it.
/// <c>document_ids</c> and <c>scores</c> may also be the text of a list (PyLate's <c>ast.literal_eval</c> of a string).
/// A document id the documents lack, or a null one, becomes an empty document, as upstream (which warns per id): one <c>note:</c>
/// counts them. A query id the queries lack is one line naming the file, row and id (upstream fails there too).
/// </summary>
/// <remarks>
/// <para>An id is a string or a whole number, matched by its text: <c>17</c> and <c>"17"</c> find each other. PyLate's
/// index is a Python dict, where they do not (its rows would get no query and empty documents); Skald keeps the match,
/// which a file whose ids Arrow typed otherwise than its queries' or documents' needs, and says so in one <c>note:</c>
/// when the two sides' id types differ. A float that is a whole number is that number: <c>17.0</c> finds <c>17</c>, as
/// in that dict, where equal numbers are one key (a JSON column with one float in it is all floats once Arrow types
/// it); one with a fraction is refused in a list of document ids and matched by its text elsewhere.</para>
/// <para>Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/utils/processing.py
/// (<c>KDProcessing.__init__</c>, <c>transform</c>, <c>map</c>).</para>
/// </remarks>
public static class KdProcessing
{
    private static readonly string[] RowColumns = ["query_id", "document_ids", "scores"];

    /// <summary>
    /// The rows of the data file <paramref name="path"/> with their ids resolved through the files
    /// <paramref name="queries"/> and <paramref name="documents"/> (<see cref="Read(string, IReadOnlyList{string}, string, string, int, Func{string, IReadOnlyList{string}}, Action{string}?)"/>).
    /// </summary>
    public static TextDataset Read(string path, string queries, string documents, int nWays, Action<string>? note = null) =>
        Read(path, [path], queries, documents, nWays, p => [p], note);

    /// <summary>
    /// The rows of the data set <paramref name="name"/> (its files <paramref name="files"/>, a hub dataset's shards in
    /// order) with their ids resolved through the data sets <paramref name="queries"/> and <paramref name="documents"/>
    /// (files or hub ids, <paramref name="locate"/> giving their files), as a listwise data set (query, documents[...],
    /// scores); <paramref name="note"/> hears the notes (missing documents, ids of differing types).
    /// </summary>
    public static TextDataset Read(string name, IReadOnlyList<string> files, string queries, string documents, int nWays,
        Func<string, IReadOnlyList<string>> locate, Action<string>? note = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(locate);
        var queryText = Texts(queries, locate(queries), "query_id");
        var documentText = Texts(documents, locate(documents), "document_id");
        var parts = new List<TextDataset>(files.Count);
        int missing = 0, ids = 0;
        bool queryNumbers = false, documentNumbers = false;
        string? firstMissing = null;
        foreach (string file in files)
        {
            var table = DatasetReader.ReadRaw(file, lists: true);
            if (table.Rows.Count == 0) throw new TrainingException($"{file}: no data rows");
            var at = RowColumns.Select(c => table.Header.IndexOf(c) is var i and >= 0 ? i
                : throw new TrainingException($"{file}: no column '{c}' (data.queries and data.documents read rows of query_id, document_ids and scores, " +
                    $"PyLate's KDProcessing; the file has {string.Join(", ", table.Header)})")).ToArray();
            queryNumbers |= Numbers(file, table, at[0]);
            var queryKey = Keys(file, table, at[0]);
            var rows = new List<(int Line, string?[] Values)>(table.Rows.Count);
            foreach (var (line, values) in table.Rows)
            {
                string qid = queryKey(values[at[0]] ?? throw new TrainingException($"{file}:{line}: empty 'query_id'"));
                string query = queryText.Map.TryGetValue(qid, out var q) ? q
                    : throw new TrainingException($"{file}:{line}: column 'query_id': {qid} is not in {queries} (PyLate's KDProcessing fails on it too)");
                var texts = new List<string>();
                foreach (var id in List(values[at[1]], file, line, "document_ids").Take(nWays))
                {
                    documentNumbers |= id.ValueKind == JsonValueKind.Number;
                    if (id.ValueKind == JsonValueKind.Null)
                    {
                        // PyLate looks None up in its dict, finds nothing, and puts an empty text (its KeyError branch)
                        texts.Add("");
                        (ids, missing) = (ids + 1, missing + 1);
                        firstMissing ??= "null";
                        continue;
                    }
                    string d = Id(id) ?? throw new TrainingException(id.ValueKind == JsonValueKind.String
                        ? $"{file}:{line}: {Retrieval.Data.DataFiles.LoneSurrogate("document_ids")}"
                        : $"{file}:{line}: column 'document_ids': each id must be a string or a whole number, got {id.GetRawText()}");
                    ids++;
                    if (documentText.Map.TryGetValue(d, out var t)) texts.Add(t);
                    else
                    {
                        texts.Add(""); // PyLate's KDProcessing: an empty document for an id it cannot find
                        missing++;
                        firstMissing ??= d;
                    }
                }
                string scores = "[" + string.Join(", ", List(values[at[2]], file, line, "scores").Take(nWays).Select(s => s.GetRawText())) + "]";
                rows.Add((line, [query, JsonSerializer.Serialize(texts), scores]));
            }
            parts.Add(TextLists.Build(file, ["query", "documents", "scores"], rows, [0, 1], 2, new HashSet<string> { "documents" }, emptyTexts: true));
        }
        if (parts.Count == 0) throw new TrainingException($"{name}: no data files");
        if (missing > 0)
            note?.Invoke($"note: {name}: {missing} of {ids} document ids (the first: {firstMissing}) are not in {documents}; " +
                "each trains as an empty document, as PyLate's KDProcessing puts an empty text for an id it cannot find");
        if (queryNumbers != queryText.Numbers) note?.Invoke(TypeNote(name, "query_id", queryNumbers, queries));
        if (documentNumbers != documentText.Numbers) note?.Invoke(TypeNote(name, "document_ids", documentNumbers, documents));
        return DatasetReader.Concat(parts, name);
    }

    private static string TypeNote(string name, string column, bool numbers, string other) =>
        $"note: {name}: its {column} are {(numbers ? "integers" : "texts")} and {other}'s ids {(numbers ? "texts" : "integers")}; Skald matches an id " +
        "by its text (17 finds \"17\"), where PyLate's KDProcessing looks ids up in a Python dict, which finds none of them";

    // id → text of a queries or documents data set (its files, in order; ids may be integers), and whether its ids are numbers.
    private static (Dictionary<string, string> Map, bool Numbers) Texts(string name, IReadOnlyList<string> files, string idColumn)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        bool numbers = false;
        foreach (string file in files)
        {
            var table = DatasetReader.ReadRaw(file, lists: false);
            if (table.Rows.Count == 0) throw new TrainingException($"{file}: no data rows");
            int id = table.Header.IndexOf(idColumn), text = table.Header.IndexOf("text");
            if (id < 0 || text < 0)
                throw new TrainingException($"{file}: needs the columns '{idColumn}' and 'text' (PyLate's KDProcessing); it has {string.Join(", ", table.Header)}");
            numbers |= Numbers(file, table, id);
            var keyOf = Keys(file, table, id);
            foreach (var (line, values) in table.Rows)
            {
                if (values[id] is not { } key) throw new TrainingException($"{file}:{line}: empty '{idColumn}'");
                map[keyOf(key)] = values[text] ?? ""; // a repeated id: the last, as PyLate's index (a dict comprehension) keeps it
            }
        }
        return (map, numbers);
    }

    // Whether the ids of column c are numbers as datasets types them: a JSON or Parquet file's by their type, a CSV or TSV
    // file's (texts to Skald) when every one is a number, as its loader (pandas) infers int64 or float64 for such a column.
    private static bool Numbers(string file, DatasetReader.RawTable table, int c) =>
        table.NonText.ContainsKey(table.Header[c]) || (IsDelimited(file) && table.Rows.All(r => r.Values[c] is { } v && IsNumber(v)));

    // The keys of column c's ids: as read, except in a CSV or TSV column pandas reads as floats (every cell a number, not
    // all of them integers), where a whole number is keyed by its digits, as a JSON float is (IdText): 17.0 finds 17.
    private static Func<string, string> Keys(string file, DatasetReader.RawTable table, int c)
    {
        if (!IsDelimited(file) || !Numbers(file, table, c)
            || table.Rows.All(r => long.TryParse(r.Values[c], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
            return v => v;
        return v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && WholeNumber(d) is { } n ? n : v;
    }

    private static bool IsDelimited(string file) => Path.GetExtension(file).ToLowerInvariant() is ".csv" or ".tsv";

    private static bool IsNumber(string v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d);

    // The digits of a finite whole number (a float's exact integer value, as Python's int() of it); null otherwise.
    private static string? WholeNumber(double d) =>
        double.IsFinite(d) && Math.Floor(d) == d ? new System.Numerics.BigInteger(d).ToString(CultureInfo.InvariantCulture) : null;

    // A string id as it is, a number as IdText gives it; null for anything else (a string too that holds a lone surrogate).
    private static string? Id(JsonElement e) => e.ValueKind == JsonValueKind.String ? Retrieval.Data.DataFiles.TextOrNull(e) : IdText(e);

    /// <summary>
    /// The key a JSON number id is matched by: an integer as its digits, and a float that is a whole number
    /// (<c>17.0</c>, <c>1e3</c>) as the digits of that number, as Python finds the int key 17 with the float 17.0
    /// (equal values hash alike; a column Arrow typed as double gives PyLate floats); null for a number with a
    /// fraction, or anything but a number.
    /// </summary>
    internal static string? IdText(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number) return null;
        string raw = e.GetRawText();
        if (raw.AsSpan().TrimStart('-').IndexOfAnyExcept("0123456789") < 0) return raw; // an int to Python's json
        return e.TryGetDouble(out double d) ? WholeNumber(d) : null;
    }

    // A cell holding a list: a JSON array's text (a JSONL array, a Parquet list) or the text of one as Python writes it
    // (PyLate's literal_eval of a string, quotes ' or ").
    private static JsonElement[] List(string? cell, string path, int line, string column)
    {
        foreach (string text in cell is null ? [] : new[] { cell, cell.Replace('\'', '"') })
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.ValueKind == JsonValueKind.Array) return [.. doc.RootElement.EnumerateArray().Select(x => x.Clone())];
            }
            catch (JsonException)
            {
                // the next reading, or the one line below
            }
        }
        throw new TrainingException($"{path}:{line}: column '{column}' must be a list (or the text of one)");
    }
}
