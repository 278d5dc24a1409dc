using System.Globalization;
using Skald.Data.Ingest;
using Skald.Data.Languages;
using Skald.Training.Data;

namespace Skald.Data.Inspect;

/// <summary>
/// Reports on a data file read by the training reader (<see cref="DatasetReader.ReadTable(string, out IReadOnlySet{string})"/>:
/// JSONL, CSV, TSV, Parquet, text), without its checks, so empty cells and odd rows are counted rather than fatal; a column
/// of lists of texts (listwise rows) is reported over every document of its lists.
/// </summary>
public static class DatasetInspector
{
    /// <summary>
    /// The report of the file at <paramref name="path"/>, lengths counted by <paramref name="counter"/>; a file without a
    /// data row is a <see cref="DataException"/> in training's words ("FILE: no data rows"), not a report of nothing.
    /// </summary>
    public static DatasetReport Inspect(string path, TokenCounter counter)
    {
        var (header, rows) = DatasetReader.ReadTable(path, out var lists);
        if (rows.Count == 0) throw new DataException($"{path}: no data rows");
        var columns = new List<ColumnReport>(header.Count);
        for (int c = 0; c < header.Count; c++)
        {
            var cells = rows.Select(r => r.Values[c]).ToList();
            // A column of lists of texts (a listwise row's documents) is reported over all its documents.
            if (lists.Contains(header[c])) cells = [.. cells.SelectMany(Documents)];
            var filled = cells.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!).ToList();
            bool numeric = filled.Count > 0 && filled.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || IsNumberList(v));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            int dups = filled.Count(v => !seen.Add(v));
            var lengths = numeric ? [] : filled.AsParallel().AsOrdered().Select(counter.Count).ToList();
            var langs = numeric ? new Dictionary<string, int>()
                : filled.AsParallel().Select(LanguageGuesser.Guess).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            columns.Add(new ColumnReport(header[c], cells.Count - filled.Count, dups, numeric, lengths, langs));
        }
        var rowSeen = new HashSet<string>(StringComparer.Ordinal);
        int dupRows = rows.Count(r => !rowSeen.Add(string.Join("\u0001", r.Values.Select(v => v ?? "\u0002"))));
        var examples = rows.Count == 0 ? [] : new[] { 0, rows.Count / 2, rows.Count - 1 }.Distinct().Select(i => rows[i].Values).ToList();
        return new DatasetReport(path, rows.Count, dupRows, columns, examples, counter.Name);
    }

    /// <summary>Whether a cell is a JSON list of numbers (a mined n-tuple's scores or margins, a listwise row's labels).</summary>
    private static bool IsNumberList(string cell)
    {
        if (!cell.StartsWith('[')) return false;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(cell);
            return doc.RootElement.GetArrayLength() > 0 && doc.RootElement.EnumerateArray().All(e => e.ValueKind == System.Text.Json.JsonValueKind.Number);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static IEnumerable<string?> Documents(string? cell)
    {
        if (cell is null) return [null];
        using var doc = System.Text.Json.JsonDocument.Parse(cell);
        return [.. doc.RootElement.EnumerateArray().Select(e => e.ValueKind == System.Text.Json.JsonValueKind.String ? e.GetString() : null)];
    }
}
