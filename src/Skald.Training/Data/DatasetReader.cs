using System.Globalization;
using System.Text.Json;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;
using Skald.Training.Config;

namespace Skald.Training.Data;

/// <summary>
/// Reads training data: JSONL (one object per line), CSV (RFC 4180, header row), TSV (header row, tab-separated,
/// no quoting), Parquet (<see cref="Retrieval.Data.ParquetTableReader"/>; "line" in messages is the row number) or plain text (.txt: one text per non-blank line, a single column <c>text</c>, for SimCSE). Columns are inputs by position; a column named <c>label</c>, <c>labels</c>, <c>score</c> or
/// <c>scores</c> is the label: a number, or a list of numbers of the same length on every row (a JSONL array, a CSV/TSV
/// cell "[0.3, 0.5]", a Parquet list of numbers). The last input column of a JSONL or Parquet file may hold lists of texts
/// (a query's documents, sentence-transformers' listwise rows), each with a label list of the same length
/// (<see cref="TextLists"/>). A JSONL or Parquet file of FlagEmbedding's rows (<c>{"query", "pos": [...], "neg": [...]}</c>) is
/// read as its groups (<see cref="FlagEmbeddingReader"/>). Problems are a <see cref="TrainingException"/> naming file and line.
/// </summary>
public static partial class DatasetReader
{
    private static readonly string[] LabelNames = ["label", "labels", "score", "scores"];

    /// <summary>
    /// Reads a file by its extension (.jsonl, or .json: JSON Lines or a JSON array, <see cref="JsonRecords"/>; .csv, .tsv, .parquet, .txt); with <paramref name="columns"/>
    /// only those input columns, in that order (data.columns: the others are neither kept nor checked, so a corpus
    /// file's empty titles do not stop a run that reads its texts). A FlagEmbedding file's groups draw
    /// <paramref name="groupSize"/> documents per query (data.train_group_size). With <paramref name="idsLeftOut"/> (a
    /// ColBERT loss, whose collator leaves a column whose name contains <c>_id</c> out) such a column may hold numbers
    /// (PyLate's <c>{"query_id": 17, ...}</c>), read as their text; otherwise a column of numbers is refused in one line.
    /// <paramref name="columnsKey"/> is the config key that gave <paramref name="columns"/>, named in messages
    /// (<c>data.columns</c>, or <c>data.eval_columns</c> for an evaluation file's own).
    /// </summary>
    public static TextDataset Read(string path, IReadOnlyList<string>? columns = null, int groupSize = FlagEmbeddingReader.DefaultGroupSize,
        bool idsLeftOut = false, string columnsKey = "data.columns")
    {
        var (groups, table) = Groups(path, groupSize);
        if (groups is not null)
        {
            if (columns is not null)
                throw new TrainingException($"{path}: {columnsKey} picks columns of a table; this file holds FlagEmbedding's rows (query, pos, neg), whose (query, pos, neg...) rows are drawn each epoch");
            return groups;
        }
        return Build(path, table!, columns, idsLeftOut, columnsKey);
    }

    /// <summary>
    /// The groups of the FlagEmbedding file at <paramref name="path"/> (JSONL or Parquet: query, pos, neg, optional
    /// scores and prompt), drawn with <paramref name="groupSize"/> documents per query, or null when it holds another
    /// kind of rows (a tool that reports on data reads them with <see cref="ReadTable(string, out IReadOnlySet{string})"/>).
    /// </summary>
    public static TextDataset? ReadFlagEmbedding(string path, int groupSize) => Groups(path, groupSize).Groups;

    /// <summary>A FlagEmbedding file's groups, or else its raw table (read once either way).</summary>
    private static (TextDataset? Groups, RawTable? Table) Groups(string path, int groupSize)
    {
        if (IsJson(path) && File.Exists(path))
        {
            var lines = JsonRecords(path);
            return FlagEmbeddingReader.Detect(lines) ? (FlagEmbeddingReader.Read(path, lines, groupSize), null)
                : (null, ReadJsonLines(path, lines, lists: true));
        }
        var table = ReadRaw(path, lists: true);
        if (!Retrieval.Data.DataFiles.IsParquet(path) || !FlagEmbeddingReader.Detect(table.Header, table.Lists)) return (null, table);
        // Parquet's rows as the JSONL lines they stand for (row r as line r), so one reader checks and draws both.
        RequireText(path, table.Header.Where(h => h is "query" or "prompt"), table.NonText);
        return (FlagEmbeddingReader.Read(path, FlagEmbeddingReader.JsonLines(table.Header, table.Rows, table.Lists, table.NonText), groupSize), null);
    }

    /// <summary>
    /// Reads the shards of one dataset (e.g. the Parquet files of a hub dataset's split) as one data set named
    /// <paramref name="name"/>: rows in file order; every shard must have the same columns.
    /// </summary>
    public static TextDataset ReadAll(IReadOnlyList<string> paths, string name, IReadOnlyList<string>? columns = null,
        int groupSize = FlagEmbeddingReader.DefaultGroupSize, bool idsLeftOut = false, string columnsKey = "data.columns")
    {
        if (paths.Count == 0) throw new TrainingException($"{name}: no data files");
        return Concat([.. paths.Select(p => Read(p, columns, groupSize, idsLeftOut, columnsKey))], name);
    }

    /// <summary>The data sets <paramref name="parts"/> read from the shards of one dataset, as one named <paramref name="name"/> (<see cref="ReadAll"/>).</summary>
    internal static TextDataset Concat(IReadOnlyList<TextDataset> parts, string name)
    {
        var first = parts[0];
        if (parts.Count == 1) return first.Renamed(name);
        if (parts.FirstOrDefault(p => (p.Groups is null) != (first.Groups is null) || p.Groups?.HasScores != first.Groups?.HasScores) is { } odd)
            throw new TrainingException($"{odd.Name}: {Describe(odd)}, {first.Name} {Describe(first)}; the shards of one data set are alike");
        if (first.Groups is not null)
            return FlagEmbeddingGroups.Concat([.. parts.Select(p => p.Groups!)]).Sample(0, 0, name);
        if (first.ListColumn is not null) // shards of listwise rows: each padded to the longest list of all of them
        {
            int width = parts.Max(p => p.ListWidth);
            parts = [.. parts.Select(p => TextLists.Pad(p, width))];
            first = parts[0];
        }
        foreach (var p in parts.Skip(1))
        {
            if (!p.Columns.SequenceEqual(first.Columns) || p.LabelColumn != first.LabelColumn)
                throw new TrainingException($"{p.Name}: columns {string.Join(", ", p.Columns)} differ from {first.Name}'s ({string.Join(", ", first.Columns)})");
        }
        return new TextDataset(name, first.Columns, [.. parts.SelectMany(p => p.Rows)],
            first.Labels is null ? null : [.. parts.SelectMany(p => p.Labels!)], first.LabelColumn) { ListColumn = first.ListColumn };
    }

    /// <summary>
    /// The raw table of a data file: its column names and, per row, its line (row number for Parquet) and one value per
    /// column (null when missing), before the checks <see cref="Read"/> applies (for tools that report on data).
    /// </summary>
    public static (List<string> Header, List<(int Line, string?[] Values)> Rows) ReadTable(string path)
    {
        var table = ReadRaw(path, lists: false);
        return (table.Header, table.Rows);
    }

    /// <summary>
    /// <see cref="ReadTable(string)"/> that also reads columns of lists of texts (JSONL arrays, Parquet lists: listwise
    /// rows' documents), each cell as its JSON array text; <paramref name="listColumns"/> names those columns.
    /// </summary>
    public static (List<string> Header, List<(int Line, string?[] Values)> Rows) ReadTable(string path, out IReadOnlySet<string> listColumns) =>
        ReadTable(path, out listColumns, out _);

    /// <summary>
    /// <see cref="ReadTable(string, out IReadOnlySet{string})"/> that also names the columns that hold no text → their
    /// type (<paramref name="nonText"/>): a Parquet file's numbers, and a JSON Lines file's id columns of numbers or of
    /// lists of ids with nulls, whose cells are their JSON text, not text to change.
    /// </summary>
    public static (List<string> Header, List<(int Line, string?[] Values)> Rows) ReadTable(string path, out IReadOnlySet<string> listColumns,
        out IReadOnlyDictionary<string, string> nonText)
    {
        var table = ReadRaw(path, lists: true);
        listColumns = table.Lists;
        nonText = table.NonText;
        return (table.Header, table.Rows);
    }

    private static string Describe(TextDataset d) => d.Groups is null ? "holds a table's rows"
        : d.Groups.HasScores ? "holds FlagEmbedding groups with a teacher's scores" : "holds FlagEmbedding groups without scores";

    /// <summary>The lines of a text data file, or one line naming it when it cannot be read.</summary>
    private static string[] Lines(string path)
    {
        try
        {
            return [.. Retrieval.Data.TextFile.ReadLines(path)];
        }
        catch (Retrieval.Data.TextFileException e)
        {
            throw new TrainingException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrainingException($"{path}: cannot read data file ({e.Message})", e);
        }
    }

    /// <summary>The raw table; with <paramref name="lists"/> a column of lists of texts is read as each row's JSON array text.</summary>
    internal static RawTable ReadRaw(string path, bool lists)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (Directory.Exists(path)) // (it read as "unsupported data format ''")
            throw new TrainingException($"{path}: is a folder; data is a file (.jsonl, .csv, .tsv, .parquet or .txt), or a list of them");
        if (!File.Exists(path)) throw new TrainingException($"{path}: file not found");
        if (ext is not (".jsonl" or ".json" or ".csv" or ".tsv" or ".txt" or ".parquet"))
            throw new TrainingException($"{path}: unsupported data format '{ext}' (use .jsonl, .json, .csv, .tsv, .parquet or .txt)");
        if (ext == ".parquet")
        {
            try
            {
                // an id column's list may hold nulls: a ColBERT loss leaves it out as PyLate's collator does, KdProcessing
                // reads a null id as a document it cannot find, and another loss refuses it as a list of texts would be
                var (header, rows) = Retrieval.Data.ParquetTableReader.Read(path, lists, Losses.ColbertColumns.IsId);
                return new RawTable(header, rows, lists ? [.. Retrieval.Data.ParquetTableReader.TextListColumns(path)] : [])
                {
                    NonText = Retrieval.Data.ParquetTableReader.NonTextColumns(path),
                };
            }
            catch (Retrieval.EvaluationException e)
            {
                throw new TrainingException(e.Message);
            }
        }
        if (IsJson(path)) return ReadJsonLines(path, JsonRecords(path), lists);
        string[] lines = Lines(path);
        return ext switch
        {
            ".txt" => new RawTable(["text"], lines.Select((l, i) => (i + 1, new string?[] { l }))
                .Where(r => !string.IsNullOrWhiteSpace(r.Item2[0])).ToList(), []),
            _ => ReadDelimited(path, lines, ext == ".csv" ? ',' : '\t'),
        };
    }

    /// <summary>A file's columns, rows and the columns that hold lists of texts.</summary>
    internal sealed record RawTable(List<string> Header, List<(int Line, string?[] Values)> Rows, HashSet<string> Lists)
    {
        /// <summary>
        /// The columns that hold no text → their type: a Parquet file's (numbers, lists of numbers), a JSON Lines file's id
        /// columns of numbers or of lists of ids with nulls; other formats: none.
        /// </summary>
        public IReadOnlyDictionary<string, string> NonText { get; init; } = new Dictionary<string, string>();
    }

    /// <summary>
    /// Refuses <paramref name="columns"/> of the Parquet file <paramref name="path"/> that are read as texts but hold
    /// none (an int64 id column taken for a text column would train on its digits): one line naming the file, the column
    /// and its type. Other formats pass (their cells are texts, or a JSONL reader refuses a non-string itself).
    /// </summary>
    public static void RequireText(string path, IEnumerable<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (!Retrieval.Data.DataFiles.IsParquet(path)) return;
        try
        {
            RequireText(path, columns, Retrieval.Data.ParquetTableReader.NonTextColumns(path));
        }
        catch (Retrieval.EvaluationException e)
        {
            throw new TrainingException(e.Message);
        }
    }

    private static void RequireText(string path, IEnumerable<string> columns, IReadOnlyDictionary<string, string> nonText)
    {
        foreach (var c in columns)
        {
            if (nonText.TryGetValue(c, out var type))
                throw new TrainingException($"{path}: column '{c}' has type {type}, not string (a text column must hold texts)");
        }
    }

    private static TextDataset Build(string path, RawTable table, IReadOnlyList<string>? columns, bool idsLeftOut, string columnsKey)
    {
        var (header, rows) = (table.Header, table.Rows);
        if (rows.Count == 0) throw new TrainingException($"{path}: no data rows");
        int labelIndex = header.FindIndex(h => LabelNames.Contains(h));
        var inputs = columns is null ? Enumerable.Range(0, header.Count).Where(i => i != labelIndex).ToArray()
            : [.. columns.Select(c => header.IndexOf(c) is var i and >= 0 && i != labelIndex ? i
                : throw new TrainingException($"{path}: no column '{c}' ({(columnsKey == "data.columns" ? "data.columns picks the columns of data.train, and of data.eval unless data.eval_columns gives its own" : columnsKey)}; the file has {string.Join(", ", header.Where((_, k) => k != labelIndex))})"))];
        if (inputs.Length == 0) throw new TrainingException($"{path}: no text columns, only '{header[labelIndex]}'");
        if (!idsLeftOut && inputs.Select(i => header[i]).FirstOrDefault(c => Losses.ColbertColumns.IsId(c) && table.NonText.ContainsKey(c)) is { } id)
            throw new TrainingException($"{path}: column '{id}' holds {(table.NonText[id] == NullIds ? "lists of ids with nulls" : "numbers")}, not texts (a ColBERT loss leaves a column whose name contains '_id' out, as PyLate's collator does; another reads every column: pick the text columns with data.columns)");
        RequireText(path, inputs.Select(i => header[i]).Where(c => !(idsLeftOut && Losses.ColbertColumns.IsId(c))), table.NonText);
        // a ColBERT loss leaves an id column out whatever it holds (PyLate's collator skips it untokenized), a list of
        // text ids too: it is no listwise column then
        var lists = idsLeftOut ? table.Lists.Where(c => !Losses.ColbertColumns.IsId(c)).ToHashSet(StringComparer.Ordinal) : table.Lists;
        if (inputs.Any(i => lists.Contains(header[i]))) return TextLists.Build(path, header, rows, inputs, labelIndex, lists);
        var outRows = new List<string[]>(rows.Count);
        var labels = labelIndex >= 0 ? new List<float>(rows.Count) : null;
        int width = 0;
        foreach (var (line, values) in rows)
        {
            var r = new string[inputs.Length];
            for (int k = 0; k < inputs.Length; k++)
            {
                string? v = values[inputs[k]];
                if (string.IsNullOrWhiteSpace(v)) throw new TrainingException($"{path}:{line}: empty text in column '{header[inputs[k]]}'");
                r[k] = v;
            }
            outRows.Add(r);
            if (labels is not null)
            {
                var numbers = Numbers(values[labelIndex], path, line, header[labelIndex]);
                if (width == 0) width = numbers.Length;
                else if (numbers.Length != width)
                    throw new TrainingException($"{path}:{line}: column '{header[labelIndex]}' has {Counted.Of(numbers.Length, "number")}, the first row {width}");
                labels.AddRange(numbers);
            }
        }
        return new TextDataset(path, inputs.Select(i => header[i]).ToArray(), outRows, labels,
            labelIndex >= 0 ? header[labelIndex] : null) { Lines = [.. rows.Select(r => r.Line)] };
    }

    /// <summary>
    /// A label cell: one number, or a non-empty list of numbers: a JSONL array, a CSV/TSV cell written as one
    /// (<c>"[0.3, 0.5]"</c>) or a Parquet list column (read as that text).
    /// </summary>
    internal static float[] Numbers(string? s, string path, int line, string column)
    {
        if (s is not null && s.TrimStart().StartsWith('['))
        {
            JsonElement[] items;
            try
            {
                using var doc = JsonDocument.Parse(s);
                items = doc.RootElement.ValueKind == JsonValueKind.Array ? [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())] : [];
            }
            catch (JsonException)
            {
                items = [];
            }
            if (items.Length > 0 && items.All(e => e.ValueKind == JsonValueKind.Number && float.IsFinite(e.GetSingle())))
                return [.. items.Select(e => e.GetSingle())];
            throw new TrainingException($"{path}:{line}: column '{column}' must be a number or a non-empty list of numbers, got {s}");
        }
        if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) || !float.IsFinite(f))
            throw new TrainingException($"{path}:{line}: column '{column}' must be a number, got '{s}'");
        return [f];
    }
}
