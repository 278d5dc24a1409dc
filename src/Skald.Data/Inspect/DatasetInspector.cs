using System.Globalization;
using Skald.Data.Ingest;
using Skald.Data.Languages;
using Skald.Training.Data;

namespace Skald.Data.Inspect;

/// <summary>
/// Reports on a data file read by the training reader (<see cref="DatasetReader.ReadTable(string, out IReadOnlySet{string})"/>:
/// JSONL, CSV, TSV, Parquet, text), without its checks, so empty cells and odd rows are counted rather than fatal; a column
/// of lists of texts (listwise rows) is reported over every document of its lists. A FlagEmbedding file (query, pos[],
/// neg[], scores) is read by training's own reader, with its checks (a bad row is its one line), and reported per column
/// over all its documents, with the positives and negatives per query.
/// </summary>
public static class DatasetInspector
{
    /// <summary>
    /// The report of the file at <paramref name="path"/>, lengths counted by <paramref name="counter"/>; a file without a
    /// data row is a <see cref="DataException"/> in training's words ("FILE: no data rows"), not a report of nothing.
    /// </summary>
    public static DatasetReport Inspect(string path, TokenCounter counter)
    {
        // FlagEmbedding's rows (query, pos[], neg[], scores): read by training's one reader, one document per draw.
        if (DatasetReader.ReadFlagEmbedding(path, groupSize: 1)?.Groups is { } groups) return Inspect(path, groups, counter);
        var (header, rows) = DatasetReader.ReadTable(path, out var lists);
        if (rows.Count == 0) throw new DataException($"{path}: no data rows");
        var columns = new List<ColumnReport>(header.Count);
        for (int c = 0; c < header.Count; c++)
        {
            var cells = rows.Select(r => r.Values[c]).ToList();
            // A column of lists of texts (a listwise row's documents) is reported over all its documents.
            if (lists.Contains(header[c])) cells = [.. cells.SelectMany(Documents)];
            columns.Add(Column(header[c], cells, counter));
        }
        var rowSeen = new HashSet<string>(StringComparer.Ordinal);
        int dupRows = rows.Count(r => !rowSeen.Add(string.Join("\u0001", r.Values.Select(v => v ?? "\u0002"))));
        var examples = Picks(rows.Count).Select(i => rows[i].Values).ToList();
        return new DatasetReport(path, rows.Count, dupRows, columns, examples, counter.Name);
    }

    /// <summary>
    /// The report of a FlagEmbedding training folder <paramref name="path"/> (a <c>data.train</c> entry under
    /// <c>data.same_dataset_within_batch</c>): each <c>.json</c> / <c>.jsonl</c> file read by training's reader, with its
    /// checks, and what <paramref name="smallThreshold"/> and <paramref name="dropThreshold"/> make of it.
    /// </summary>
    public static FolderReport InspectFolder(string path, int smallThreshold = 0, int dropThreshold = 0) =>
        new(path, FlagEmbeddingFolder.Files(path, f => DatasetReader.Read(f), smallThreshold, dropThreshold), smallThreshold, dropThreshold);

    /// <summary>
    /// A FlagEmbedding file's report: its queries, positives and negatives as text columns (the lists over all their
    /// documents), the teacher's scores as numbers, and per query how many positives and negatives it holds.
    /// </summary>
    private static DatasetReport Inspect(string path, FlagEmbeddingGroups groups, TokenCounter counter)
    {
        int n = groups.Count;
        var columns = new List<ColumnReport>
        {
            Column("query", [.. groups.Queries], counter),
            Column("pos", [.. groups.Positives.SelectMany(p => p)], counter),
            Column("neg", [.. groups.Negatives.SelectMany(p => p)], counter),
        };
        string Json<T>(IReadOnlyList<T> list) => System.Text.Json.JsonSerializer.Serialize(list);
        string Score(float s) => s.ToString("R", CultureInfo.InvariantCulture);
        if (groups.PositiveScores is { } ps && groups.NegativeScores is { } ns)
        {
            columns.Add(Column("pos_scores", [.. ps.SelectMany(p => p).Select(Score)], counter));
            columns.Add(Column("neg_scores", [.. ns.SelectMany(p => p).Select(Score)], counter));
        }
        string?[] Row(int r) => groups.PositiveScores is null
            ? [groups.Queries[r], Json(groups.Positives[r]), Json(groups.Negatives[r])]
            : [groups.Queries[r], Json(groups.Positives[r]), Json(groups.Negatives[r]), Json(groups.PositiveScores[r]), Json(groups.NegativeScores![r])];
        var rows = Enumerable.Range(0, n).Select(Row).ToList();
        var rowSeen = new HashSet<string>(StringComparer.Ordinal);
        int dupRows = rows.Count(r => !rowSeen.Add(string.Join("\u0001", r)));
        var counts = new GroupCounts([.. groups.Positives.Select(p => p.Count)], [.. groups.Negatives.Select(p => p.Count)], groups.HasScores);
        return new DatasetReport(path, n, dupRows, columns, [.. Picks(n).Select(i => rows[i])], counter.Name) { Groups = counts };
    }

    /// <summary>One column's report over its <paramref name="cells"/> (a list column's: every document of its lists).</summary>
    private static ColumnReport Column(string name, List<string?> cells, TokenCounter counter)
    {
        var filled = cells.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!).ToList();
        bool numeric = filled.Count > 0 && filled.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || IsNumberList(v));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int dups = filled.Count(v => !seen.Add(v));
        var lengths = numeric ? [] : filled.AsParallel().AsOrdered().Select(counter.Count).ToList();
        var langs = numeric ? new Dictionary<string, int>()
            : filled.AsParallel().Select(LanguageGuesser.Guess).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new ColumnReport(name, cells.Count - filled.Count, dups, numeric, lengths, langs);
    }

    /// <summary>The rows shown as examples: first, middle, last.</summary>
    private static int[] Picks(int rows) => rows == 0 ? [] : [.. new[] { 0, rows / 2, rows - 1 }.Distinct()];

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
