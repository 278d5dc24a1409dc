using Skald.Tensors;

namespace Skald.Training.Data;

/// <summary>
/// A table of training texts as sentence-transformers sees a dataset: input columns by position (anchor, positive,
/// negatives...) and an optional <c>label</c>/<c>score</c> column: one number per row, or (JSONL arrays) a list of
/// <see cref="LabelWidth"/> numbers per row, stored flat (row r's at [r·width, (r + 1)·width)).
/// </summary>
public sealed class TextDataset
{
    /// <summary>Creates a dataset; every row has one text per column and, with labels, the same number of labels.</summary>
    public TextDataset(string name, IReadOnlyList<string> columns, IReadOnlyList<string[]> rows, IReadOnlyList<float>? labels = null,
        string? labelColumn = null)
    {
        if (labels is not null && (rows.Count == 0 ? labels.Count != 0 : labels.Count == 0 || labels.Count % rows.Count != 0))
            throw new ArgumentException("the same number of labels for every row");
        LabelWidth = labels is null || rows.Count == 0 ? 1 : labels.Count / rows.Count;
        Name = name;
        Columns = columns;
        Rows = rows;
        Labels = labels;
        LabelColumn = labels is null ? null : labelColumn ?? "label";
    }

    /// <summary>The file (or a name) it came from.</summary>
    public string Name { get; }

    /// <summary>Input column names, in order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Rows: one text per input column.</summary>
    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>Labels (from a <c>label</c> or <c>score</c> column), <see cref="LabelWidth"/> per row, or null.</summary>
    public IReadOnlyList<float>? Labels { get; }

    /// <summary>Labels per row: 1 for a number, the list's length for JSONL arrays.</summary>
    public int LabelWidth { get; }

    /// <summary>Name of the label column, when there is one.</summary>
    public string? LabelColumn { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Rows.Count;

    /// <summary>
    /// The file's column of lists of texts (a query's documents), or null. Its lists are the last
    /// <see cref="ListWidth"/> input columns, <c>NAME[0]</c>, <c>NAME[1]</c>, ..., each row's padded to the longest
    /// with empty texts whose label is NaN (<see cref="TextLists"/>).
    /// </summary>
    public string? ListColumn { get; init; }

    /// <summary>The input columns the list of texts spans (0 without one).</summary>
    public int ListWidth => ListColumn is null ? 0 : LabelWidth;

    /// <summary>This data set, or one line naming its list column when it holds lists of documents, which <paramref name="reader"/> does not read.</summary>
    public TextDataset WithoutLists(string reader) =>
        Groups is not null ? throw new Config.TrainingException($"{Name}: holds FlagEmbedding groups ({{query, pos, neg}}), which skald train reads; {reader} reads one text per column")
        : ListColumn is null ? this
        : throw new Config.TrainingException($"{Name}: '{ListColumn}' holds lists of documents (listwise rows); {reader} reads one text per column");

    /// <summary>The same rows under another name.</summary>
    public TextDataset Renamed(string name) => new(name, Columns, Rows, Labels, LabelColumn)
    {
        ListColumn = ListColumn, Lengths = Lengths, Lines = Lines, Groups = Groups, NoInBatchNegatives = NoInBatchNegatives,
    };

    /// <summary>
    /// A FlagEmbedding file's groups (<see cref="FlagEmbeddingReader"/>), from which each epoch draws its rows
    /// (<see cref="ForEpoch"/>), or null: the rows are the file's. Its <see cref="Rows"/> are then the draw of seed 0, epoch 0.
    /// </summary>
    public FlagEmbeddingGroups? Groups { get; init; }

    /// <summary>
    /// Whether this data set's batches score each row against its own documents only (FlagEmbedding's
    /// <c>no_in_batch_neg</c>; <see cref="TrainingBatch.NoInBatchNegatives"/>).
    /// </summary>
    public bool NoInBatchNegatives { get; init; }

    /// <summary>The rows epoch <paramref name="epoch"/> trains on: the groups' draws under <paramref name="seed"/>, or these rows.</summary>
    public TextDataset ForEpoch(ulong seed, int epoch) => Groups is null ? this : Groups.Sample(seed, epoch, Name, NoInBatchNegatives);

    /// <summary>This data set with <see cref="NoInBatchNegatives"/> on.</summary>
    public TextDataset WithoutInBatchNegatives() => new(Name, Columns, Rows, Labels, LabelColumn)
    {
        ListColumn = ListColumn, Lengths = Lengths, Lines = Lines, Groups = Groups, NoInBatchNegatives = true,
    };

    /// <summary>A FlagEmbedding data set without its teacher's scores (for a loss that reads none); any other, as it is.</summary>
    public TextDataset WithoutTeacherScores() => Groups is not { HasScores: true } g ? this
        : g.WithoutScores().Sample(0, 0, Name, NoInBatchNegatives);

    /// <summary>Token count per row for length-grouped batches (<c>training.group_by_length</c>), or null.</summary>
    public IReadOnlyList<int>? Lengths { get; init; }

    /// <summary>The line of <see cref="Name"/> each row was read from (1-based), for messages; null when unknown.</summary>
    public IReadOnlyList<int>? Lines { get; init; }

    /// <summary>Where row <paramref name="row"/> (0-based) is, for messages: "line N" of the file, else "row N".</summary>
    public string Where(int row) => Lines is { } lines ? $"line {lines[row]}" : $"row {row + 1}";

    /// <summary>Keeps the input columns <paramref name="names"/>, in that order (the label stays).</summary>
    public TextDataset SelectColumns(IReadOnlyList<string> names)
    {
        if (Groups is not null)
            throw new Config.TrainingException($"{Name}: data.columns picks columns of a table; a FlagEmbedding file's rows are (query, pos, neg...) drawn from its groups");
        var idx = names.Select(n => Columns.ToList().IndexOf(n) is var i and >= 0 ? i
            : throw new Config.TrainingException($"{Name}: no column '{n}' (data.columns picks the columns of data.train, and of data.eval unless data.eval_columns gives its own; the file has {string.Join(", ", Columns)})")).ToArray();
        if (ListColumn is not null && !names.TakeLast(ListWidth).SequenceEqual(Columns.TakeLast(ListWidth)))
            throw new Config.TrainingException($"{Name}: the documents of the list column '{ListColumn}' must stay, last and in order");
        return new TextDataset(Name, names.ToArray(), Rows.Select(r => idx.Select(i => r[i]).ToArray()).ToArray(), Labels, LabelColumn)
        {
            ListColumn = ListColumn, Lines = Lines,
        };
    }

    /// <summary>The first <paramref name="n"/> rows.</summary>
    public TextDataset Take(int n) => n >= Count ? this
        : Groups is not null ? Select([.. Enumerable.Range(0, n)])
        : new TextDataset(Name, Columns, Rows.Take(n).ToArray(), Labels?.Take(n * LabelWidth).ToArray(), LabelColumn)
        {
            ListColumn = ListColumn, Lines = Lines?.Take(n).ToArray(), NoInBatchNegatives = NoInBatchNegatives,
        };

    /// <summary>A subset by row indices (in the given order).</summary>
    public TextDataset Select(IReadOnlyList<int> indices) =>
        new(Name, Columns, indices.Select(i => Rows[i]).ToArray(), LabelsOf(indices), LabelColumn)
        {
            ListColumn = ListColumn, Lines = Lines is null ? null : indices.Select(i => Lines[i]).ToArray(),
            Groups = Groups?.Select(indices), NoInBatchNegatives = NoInBatchNegatives,
        };

    /// <summary>
    /// Holds out <paramref name="split"/> rows (a fraction in (0, 1) or a count ≥ 1), chosen with a seeded shuffle;
    /// returns (train, eval), each in file order.
    /// </summary>
    public (TextDataset Train, TextDataset Eval) Split(double split, ulong seed)
    {
        int n = split < 1 ? (int)Math.Round(split * Count) : (int)split;
        n = Math.Clamp(n, 1, Math.Max(1, Count - 1));
        var order = Enumerable.Range(0, Count).ToArray();
        Shuffle(order, new SkaldRandom(seed ^ 0x5EED_E7A1UL));
        var held = order.Take(n).Order().ToArray();
        var kept = order.Skip(n).Order().ToArray();
        return (Select(kept), Select(held));
    }

    /// <summary>
    /// The batch rows <paramref name="indices"/> as a <see cref="TrainingBatch"/>; with <paramref name="width"/> (above 0)
    /// its first <paramref name="width"/> input columns only, and as many fewer labels per row (a same-dataset batch's
    /// group, <see cref="PlannedBatch.Width"/>).
    /// </summary>
    public TrainingBatch Batch(IReadOnlyList<int> indices, int width = 0)
    {
        var columns = new IReadOnlyList<string>[width > 0 ? Math.Min(width, Columns.Count) : Columns.Count];
        for (int c = 0; c < columns.Length; c++)
        {
            var col = new string[indices.Count];
            for (int i = 0; i < col.Length; i++) col[i] = Rows[indices[i]][c];
            columns[c] = col;
        }
        return new TrainingBatch(columns, LabelsOf(indices, LabelWidth - (Columns.Count - columns.Length)))
        {
            NoInBatchNegatives = NoInBatchNegatives, ColumnNames = [.. Columns.Take(columns.Length)],
        };
    }

    /// <summary>The labels of rows <paramref name="indices"/> (the first <paramref name="width"/> of each; null: all), flat, or null.</summary>
    private float[]? LabelsOf(IReadOnlyList<int> indices, int? width = null)
    {
        if (Labels is null) return null;
        int w = width ?? LabelWidth;
        var labels = new float[indices.Count * w];
        for (int i = 0; i < indices.Count; i++)
            for (int j = 0; j < w; j++) labels[i * w + j] = Labels[indices[i] * LabelWidth + j];
        return labels;
    }

    /// <summary>Fisher–Yates shuffle with <paramref name="random"/>.</summary>
    public static void Shuffle(int[] a, SkaldRandom random)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
