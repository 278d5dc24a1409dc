using System.Globalization;
using System.Text.Json;
using Skald.Tokenizers.Serialization;
using Skald.Training.Config;

namespace Skald.Training.Data;

/// <summary>
/// PyLate's <c>utils.KDProcessing</c>: distillation rows that name their texts by id, <c>{"query_id", "document_ids":
/// [...], "scores": [...]}</c>, with the texts in a queries file (<c>query_id</c>, <c>text</c>) and a documents file
/// (<c>document_id</c>, <c>text</c>): each row becomes (query, documents, scores), its first <c>n_ways</c> documents and
/// scores kept. An id is a string or an integer, matched by its text (PyLate matches Python values, so a file mixing
/// <c>17</c> and <c>"17"</c> would not match there). <c>document_ids</c> and <c>scores</c> may also be the text of a
/// list (PyLate's <c>ast.literal_eval</c> of a string). Where PyLate puts an empty text for a document id its documents
/// lack (and logs a warning), or fails on a missing query id, Skald refuses either in one line naming the file, line and id.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/lightonai/pylate/blob/347718e09f66eb4914154d8ad6871bf7dd3d27f1/pylate/utils/processing.py
/// (<c>KDProcessing.__init__</c>, <c>transform</c>, <c>map</c>).
/// </remarks>
public static class KdProcessing
{
    /// <summary>
    /// The rows of the JSONL / .json file <paramref name="path"/> with their ids resolved through the files
    /// <paramref name="queries"/> and <paramref name="documents"/>, as a listwise data set (query, documents[...], scores).
    /// </summary>
    public static TextDataset Read(string path, string queries, string documents, int nWays)
    {
        if (!Path.GetExtension(path).ToLowerInvariant().StartsWith(".json", StringComparison.Ordinal))
            throw new TrainingException($"{path}: data.queries / data.documents resolve the ids of JSONL (or .json) rows; this file is not one");
        var queryText = Texts(queries, "query_id");
        var documentText = Texts(documents, "document_id");
        var records = DatasetReader.JsonRecords(path);
        var rows = new List<(int Line, string?[] Values)>();
        for (int i = 0; i < records.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(records[i])) continue;
            int line = i + 1;
            using var doc = Parse(records[i], path, line);
            var r = doc.RootElement;
            string Where(string key) => $"{path}:{line}: key '{key}'";
            JsonElement Key(string key) => r.ValueKind == JsonValueKind.Object && r.TryGetProperty(key, out var v) ? v
                : throw new TrainingException($"{path}:{line}: missing key '{key}' (data.queries and data.documents read rows of query_id, document_ids and scores)");
            string qid = Id(Key("query_id")) ?? throw new TrainingException($"{Where("query_id")} must be a string or an integer");
            string query = queryText.TryGetValue(qid, out var q) ? q : throw new TrainingException($"{Where("query_id")}: {qid} is not in {queries}");
            var ids = List(Key("document_ids"), path, line, "document_ids");
            var scores = List(Key("scores"), path, line, "scores");
            var texts = new List<string>();
            foreach (var id in ids.Take(nWays))
            {
                string d = Id(id) ?? throw new TrainingException($"{Where("document_ids")}: each id must be a string or an integer");
                texts.Add(documentText.TryGetValue(d, out var t) ? t : throw new TrainingException($"{Where("document_ids")}: {d} is not in {documents}"));
            }
            rows.Add((line, [query, JsonSerializer.Serialize(texts), "[" + string.Join(", ", scores.Take(nWays).Select(s => s.GetRawText())) + "]"]));
        }
        if (rows.Count == 0) throw new TrainingException($"{path}: no data rows");
        return TextLists.Build(path, ["query", "documents", "scores"], rows, [0, 1], 2, new HashSet<string> { "documents" });
    }

    // id → text of a queries or documents file (any format the training reader reads; ids may be integers).
    private static Dictionary<string, string> Texts(string path, string idColumn)
    {
        var (header, rows) = DatasetReader.ReadTable(path);
        int id = header.IndexOf(idColumn), text = header.IndexOf("text");
        if (id < 0 || text < 0)
            throw new TrainingException($"{path}: needs the columns '{idColumn}' and 'text' (PyLate's KDProcessing); it has {string.Join(", ", header)}");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, values) in rows)
        {
            if (values[id] is not { } key) throw new TrainingException($"{path}:{line}: empty '{idColumn}'");
            map[key] = values[text] ?? ""; // a repeated id: the last, as PyLate's index (a dict comprehension) keeps it
        }
        return map;
    }

    private static JsonDocument Parse(string text, string path, int line)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{path}:{line}: {JsonLineError.Describe(e, text)}");
        }
    }

    // A string id as it is, an integer as its digits; null for anything else.
    private static string? Id(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number when e.TryGetInt64(out long n) => n.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    // A JSON array, or a string holding one (PyLate's literal_eval of a list written as text).
    private static JsonElement[] List(JsonElement e, string path, int line, string key)
    {
        if (e.ValueKind == JsonValueKind.Array) return [.. e.EnumerateArray().Select(x => x.Clone())];
        if (e.ValueKind == JsonValueKind.String)
        {
            try
            {
                using var inner = JsonDocument.Parse(e.GetString()!.Replace('\'', '"'));
                if (inner.RootElement.ValueKind == JsonValueKind.Array) return [.. inner.RootElement.EnumerateArray().Select(x => x.Clone())];
            }
            catch (JsonException)
            {
                // the one line below
            }
        }
        throw new TrainingException($"{path}:{line}: key '{key}' must be a list (or the text of one)");
    }
}
