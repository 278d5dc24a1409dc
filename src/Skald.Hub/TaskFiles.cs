namespace Skald.Hub;

/// <summary>
/// The files of a dataset repository that make an evaluation task, in the layouts MTEB and BEIR publish: a retrieval
/// task has corpus and queries files (a folder <c>corpus/…</c> / <c>queries/…</c> or a file named <c>corpus…</c> /
/// <c>queries…</c>, Parquet or JSON lines, every shard) and relevance judgements, the repository's other Parquet or
/// TSV files, of which one split is taken (<c>qrels/test.tsv</c>, <c>default/test-00000-of-00001.parquet</c>,
/// <c>data/test-….parquet</c>; the split names as <see cref="DatasetFiles"/> reads them). Any other repository is one
/// split of its Parquet, JSON-lines or TSV files (an STS, pairs, triplets, bitext or clustering file).
/// </summary>
internal static class TaskFiles
{
    private static readonly string[] TextExtensions = [".parquet", ".jsonl"];
    private static readonly string[] QrelsExtensions = [".parquet", ".tsv"];
    private static readonly string[] DataExtensions = [".parquet", ".jsonl", ".tsv"];

    /// <summary>Corpus, queries (both empty unless a retrieval task) and the split's files, as repository names.</summary>
    public static (IReadOnlyList<string> Corpus, IReadOnlyList<string> Queries, IReadOnlyList<string> Files) Select(
        DatasetRef dataset, IReadOnlyList<string> files, string defaultSplit)
    {
        var inSubset = dataset.Subset is { } subset ? files.Where(f => f.Split('/')[..^1].Contains(subset, StringComparer.Ordinal)).ToList() : files;
        var corpus = Part(inSubset, "corpus");
        var queries = Part(inSubset, "queries");
        if (corpus.Count == 0 || queries.Count == 0) return ([], [], DatasetFiles.Select(dataset, files, defaultSplit, DataExtensions));
        var rest = files.Where(f => !corpus.Contains(f) && !queries.Contains(f)).ToList();
        return (corpus, queries, DatasetFiles.Select(dataset, rest, defaultSplit, QrelsExtensions));
    }

    /// <summary>The splits a task that is not a retrieval task could take its files from (see <see cref="DatasetFiles.Splits"/>).</summary>
    public static IReadOnlyList<string> Splits(DatasetRef dataset, IReadOnlyList<string> files) => DatasetFiles.Splits(dataset, files, DataExtensions);

    /// <summary>The data files under a folder named <paramref name="part"/> or whose name begins with it.</summary>
    private static List<string> Part(IReadOnlyList<string> files, string part) =>
        [.. files.Where(f => TextExtensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)) && Names(f, part)).Order(StringComparer.Ordinal)];

    private static bool Names(string file, string part)
    {
        var segments = file.Split('/');
        if (segments[..^1].Contains(part, StringComparer.OrdinalIgnoreCase)) return true;
        string name = segments[^1];
        return name.StartsWith(part, StringComparison.OrdinalIgnoreCase) && name[part.Length] is '.' or '-' or '_';
    }
}
