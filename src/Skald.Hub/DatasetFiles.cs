namespace Skald.Hub;

/// <summary>
/// The Parquet files of a dataset repository that make one split, named as the hub's data-files convention names them
/// (the datasets library's data_files.py: a split is a folder <c>{split}/…</c> or a file name beginning with the split
/// followed by <c>-</c>, <c>_</c>, <c>.</c>, a space or a digit, as in <c>data/train-00000-of-00001.parquet</c>; train also
/// answers to "training", validation to "valid", "val" and "dev", test to "testing", "eval" and "evaluation"). Files
/// that name no split at all are the train split. A subset is a folder (<c>{subset}/{split}-….parquet</c>).
/// </summary>
internal static class DatasetFiles
{
    private static readonly (string Split, string[] Keywords)[] Known =
    [
        ("train", ["train", "training"]),
        ("validation", ["validation", "valid", "val", "dev"]),
        ("test", ["test", "testing", "eval", "evaluation"]),
    ];

    /// <summary>
    /// The files of <paramref name="files"/> (repository names, '/'-separated) that make the split, sorted: Parquet files,
    /// or files ending in one of <paramref name="extensions"/> when given.
    /// </summary>
    public static IReadOnlyList<string> Select(DatasetRef dataset, IReadOnlyList<string> files, string defaultSplit, string[]? extensions = null)
    {
        var id = dataset.Id;
        var parquet = files.Where(f => (extensions ?? [".parquet"]).Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase))).ToList();
        if (parquet.Count == 0 && extensions is not null)
            throw new HubException($"{id}: the dataset has no {string.Join(", ", extensions)} files ({Sample(files)})");
        if (parquet.Count == 0)
        {
            throw new HubException($"{id}: the dataset has no Parquet files ({Sample(files)}); Skald reads the Parquet files a dataset " +
                "repository publishes: convert it, e.g. in Python datasets.load_dataset(...).to_parquet(\"FILE.parquet\") and pass the file");
        }
        if (dataset.Subset is { } subset)
        {
            var inSubset = parquet.Where(f => Folders(f).Contains(subset, StringComparer.Ordinal)).ToList();
            if (inSubset.Count == 0)
                throw new HubException($"{id}: no subset {subset} (subsets: {Names(parquet.Select(SubsetOf).OfType<string>())})");
            parquet = inSubset;
        }
        string split = dataset.Split ?? defaultSplit;
        var keywords = Known.FirstOrDefault(k => k.Keywords.Contains(split, StringComparer.OrdinalIgnoreCase)).Keywords ?? [split];
        var chosen = parquet.Where(f => Names(f, keywords)).ToList();
        if (chosen.Count == 0 && keywords.Contains("train") && !parquet.Any(f => SplitOf(f) is not null)) chosen = parquet;
        if (chosen.Count == 0)
        {
            throw new HubException($"{id}: no split {split} among its Parquet files (splits: {Names(parquet.Select(f => SplitOf(f) ?? "train"))}); " +
                $"choose one as {id}:SPLIT");
        }
        var subsets = chosen.Select(SubsetOf).Distinct(StringComparer.Ordinal).ToList();
        if (dataset.Subset is null && subsets.Count > 1)
        {
            throw new HubException($"{id}: split {split} is in several subsets ({Names(subsets.Select(s => s ?? "(top level)"))}); " +
                $"choose one as {id}:SUBSET/{split}");
        }
        return [.. chosen.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The splits the files ending in one of <paramref name="extensions"/> name (in the subset asked for, if any), sorted;
    /// files that name none are the train split.
    /// </summary>
    public static IReadOnlyList<string> Splits(DatasetRef dataset, IReadOnlyList<string> files, string[] extensions) =>
    [
        .. files.Where(f => extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase))
                && (dataset.Subset is not { } subset || Folders(f).Contains(subset, StringComparer.Ordinal)))
            .Select(f => SplitOf(f) ?? "train").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal),
    ];

    private static string[] Folders(string file) => file.Split('/')[..^1];

    /// <summary>The split a file names (a known split's name), or null.</summary>
    private static string? SplitOf(string file) => Known.FirstOrDefault(k => Names(file, k.Keywords)).Split;

    /// <summary>The subset folder of a file: its first folder that is neither "data" nor a split name, or null.</summary>
    private static string? SubsetOf(string file) =>
        Folders(file).FirstOrDefault(d => d != "data" && !Known.Any(k => k.Keywords.Contains(d, StringComparer.OrdinalIgnoreCase)));

    private static bool Names(string file, string[] keywords)
    {
        if (Folders(file).Any(d => keywords.Contains(d, StringComparer.OrdinalIgnoreCase))) return true;
        string name = file[(file.LastIndexOf('/') + 1)..];
        return keywords.Any(k => name.StartsWith(k, StringComparison.OrdinalIgnoreCase)
            && (name.Length == k.Length || name[k.Length] is '-' or '_' or '.' or ' ' || char.IsAsciiDigit(name[k.Length])));
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    private static string Sample(IReadOnlyList<string> files) =>
        files.Count == 0 ? "it is empty" : "found: " + string.Join(", ", files.Take(5)) + (files.Count > 5 ? ", …" : "");
}
