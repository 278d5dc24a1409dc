using Skald.Training.Config;

namespace Skald.Training.Data;

/// <summary>
/// FlagEmbedding's <c>data.train</c> entries under same-dataset batching (<c>AbsEmbedderSameDatasetTrainDataset</c>'s
/// loader, <c>data.same_dataset_within_batch: true</c>) with <c>small_threshold</c> / <c>drop_threshold</c>: a file is
/// one data set, left out when it has fewer rows than <c>small_threshold</c>; a folder's <c>.json</c> / <c>.jsonl</c>
/// files (read as any data file; a <c>.json</c> one holds JSON Lines or a JSON array of objects, as datasets'
/// <c>load_dataset("json")</c> reads either; other files are passed over, sub-folders not entered) are one data set each, except those with fewer rows
/// than <c>small_threshold</c>, which are merged into one data set whose batches hold the smallest of their batch
/// sizes, left out when it has fewer rows than <c>drop_threshold</c>; every data set of a folder is without in-batch
/// negatives when the folder's name (not the file's) ends with <c>no_in_batch_neg</c>. Files are read in ordinal
/// order of their names (upstream's <c>os.listdir</c> order is the file system's; the batches are shuffled either way).
/// Without same-dataset batching a folder entry is its files as one data set (<see cref="ReadAll"/>, upstream's
/// <c>AbsEmbedderTrainDataset</c>, which concatenates them).
/// An empty (or blank) file of a folder is one line naming it: datasets' loader fails on one (<c>SchemaInferenceError</c>,
/// e.g. https://github.com/Agent-RL/ReCall/issues/30), so upstream's <c>len(temp_dataset) == 0</c> skip never sees it.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/FlagOpen/FlagEmbedding/blob/035bbf59ef5d1934239ceac0edcc30ba404c0c70/FlagEmbedding/abc/finetune/embedder/AbsDataset.py
/// (<c>AbsEmbedderSameDatasetTrainDataset.__init__</c>, <c>_get_file_batch_size</c>); the thresholds' defaults (0)
/// from AbsArguments.py at 0dff36cd1fc1d63dd39bf209e87cfa1ba83dc74d.
/// </remarks>
public static class FlagEmbeddingFolder
{
    /// <summary>
    /// The data sets of one <c>data.train</c> entry <paramref name="path"/> (<paramref name="read"/> reads a file), each
    /// with its folder's no_in_batch_neg mark (null for a file entry: the file's own name decides). Batch sizes are
    /// <paramref name="batchSize"/>-based as <see cref="FlagEmbeddingRowKeys.FileBatchSize"/> reads them.
    /// </summary>
    public static IReadOnlyList<(TextDataset Data, bool? NoInBatchNegatives)> Expand(string path, Func<string, TextDataset> read,
        int smallThreshold, int dropThreshold, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (!Directory.Exists(path))
        {
            var d = read(path);
            return d.Count == 0 || d.Count < smallThreshold ? [] : [(d, null)];
        }
        bool mark = NoInBatchNegatives(path);
        var files = Files(path, read, smallThreshold, dropThreshold);
        var result = files.Where(f => f.Use == FolderFileUse.DataSet).Select(f => (f.Data, (bool?)mark)).ToList();
        var small = files.Where(f => f.Use == FolderFileUse.Merged).Select(f => f.Data).ToList();
        if (small.Count > 0) result.Add((Merge(path, small, batchSize), mark));
        return result;
    }

    /// <summary>Whether the folder <paramref name="path"/>'s data sets train without in-batch negatives (its name ends with <c>no_in_batch_neg</c>).</summary>
    public static bool NoInBatchNegatives(string path) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(path)).EndsWith("no_in_batch_neg", StringComparison.Ordinal);

    /// <summary>
    /// The <c>.json</c> / <c>.jsonl</c> files of the folder <paramref name="path"/> in the order they are read, each with
    /// its rows (<paramref name="read"/>) and what <paramref name="smallThreshold"/> and <paramref name="dropThreshold"/>
    /// make of it (the one decision training and <c>skald data inspect</c> share).
    /// </summary>
    public static IReadOnlyList<FolderFile> Files(string path, Func<string, TextDataset> read, int smallThreshold, int dropThreshold)
    {
        ArgumentNullException.ThrowIfNull(read);
        var files = JsonFiles(path).Select(f => (Path: f, Data: read(f))).ToList();
        bool smallKept = files.Where(f => f.Data.Count > 0 && f.Data.Count < smallThreshold).Sum(f => f.Data.Count) >= dropThreshold;
        return [.. files.Select(f => new FolderFile(f.Path, f.Data,
            f.Data.Count == 0 ? FolderFileUse.Empty
            : f.Data.Count >= smallThreshold ? FolderFileUse.DataSet
            : smallKept ? FolderFileUse.Merged : FolderFileUse.Dropped))];
    }

    /// <summary>
    /// A folder <c>data.train</c> entry without same-dataset batching, as upstream's plain loader
    /// (<c>AbsEmbedderTrainDataset</c>) reads one: its <c>.json</c> / <c>.jsonl</c> files (<paramref name="read"/> reads
    /// one), in ordinal order of their names, as one data set named after the folder (they must be alike, as
    /// <c>datasets.concatenate_datasets</c> wants).
    /// </summary>
    public static TextDataset ReadAll(string path, Func<string, TextDataset> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var files = JsonFiles(path);
        if (files.Count == 0) throw new TrainingException($"{path}: a folder without .json or .jsonl files (a FlagEmbedding folder's data sets)");
        return DatasetReader.Concat([.. files.Select(read)], path);
    }

    // The .json / .jsonl files of a folder in ordinal order of their names, an empty one refused in one line.
    private static List<string> JsonFiles(string path) =>
        [.. Directory.GetFiles(path).Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".jsonl", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).Select(f => IsEmpty(f) ? throw Empty(f) : f)];

    // Whether a folder's file holds nothing (no byte, or blanks only): upstream's datasets.load_dataset("json") fails on it
    // (SchemaInferenceError: no example to infer the columns from) before its len(...) == 0 check is reached.
    private static bool IsEmpty(string file)
    {
        var info = new FileInfo(file);
        if (info.Length > 64) return false;
        try
        {
            return string.IsNullOrWhiteSpace(File.ReadAllText(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the reader names the file
        }
    }

    private static TrainingException Empty(string file) =>
        new($"{file}: an empty file in a FlagEmbedding folder; FlagEmbedding's loader (datasets' load_dataset(\"json\")) fails on one " +
            "(\"Please pass `features` or at least one example\") rather than passing it over: remove it or give it rows");

    // The small files of a folder as one data set, batched by the smallest of their batch sizes.
    private static TextDataset Merge(string folder, List<TextDataset> small, int batchSize)
    {
        string name = $"{folder} (merged: {string.Join(", ", small.Select(d => Path.GetFileName(d.Name)))})";
        if (small.FirstOrDefault(d => d.Groups is null) is { } plain)
            throw new TrainingException($"{plain.Name}: data.small_threshold merges FlagEmbedding files ({{\"query\", \"pos\": [...], \"neg\": [...]}} rows), and this is not one");
        if (small.FirstOrDefault(d => d.Groups!.HasScores != small[0].Groups!.HasScores) is { } odd)
            throw new TrainingException($"{odd.Name}: {(odd.Groups!.HasScores ? "has" : "has no")} teacher scores and {small[0].Name} {(small[0].Groups!.HasScores ? "has" : "has none")}; " +
                "the small files merged into one data set are alike");
        int size = small.Min(d => d.Groups!.RowKeys?.FileBatchSize(batchSize) ?? batchSize);
        return FlagEmbeddingGroups.Concat([.. small.Select(d => d.Groups!)]).WithFileBatchSize(size).Sample(0, 0, name);
    }
}
