namespace Skald.Training.Data;

/// <summary>
/// The keys of a FlagEmbedding file's rows that its same-dataset batching reads
/// (<c>AbsEmbedderSameDatasetTrainDataset</c>, <c>data.same_dataset_within_batch</c>): each row's <c>type</c>,
/// <c>train_group_size</c> and <c>batch_size</c> (null where the row has none). Upstream reads a file's batch size from
/// its first row and a batch's group size from the batch's first row (<see cref="FileBatchSize"/>, <see cref="GroupSize"/>).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/abc/finetune/embedder/AbsDataset.py
/// (<c>_get_file_batch_size</c>, <c>_get_train_group_size</c>).
/// </remarks>
/// <param name="Types">Each row's <c>type</c> (only_1neg, symmetric_class, symmetric_sts, ...).</param>
/// <param name="GroupSizes">Each row's <c>train_group_size</c> (a positive integer).</param>
/// <param name="BatchSizes">Each row's <c>batch_size</c> (a positive integer).</param>
public sealed record FlagEmbeddingRowKeys(string?[] Types, int?[] GroupSizes, int?[] BatchSizes)
{
    /// <summary>
    /// The file's batch size (<c>_get_file_batch_size</c>): its first row's <c>batch_size</c>, else half of
    /// <paramref name="defaultBatchSize"/> (rounded down) when its first row's type names a symmetric task, else the default.
    /// </summary>
    public int FileBatchSize(int defaultBatchSize) =>
        BatchSizes[0] ?? (Types[0] is { } type && type.Contains("symmetric", StringComparison.Ordinal) ? defaultBatchSize / 2 : defaultBatchSize);

    /// <summary>
    /// The documents per query of a batch whose first row is <paramref name="row"/> (with <paramref name="negatives"/>
    /// negatives; <c>_get_train_group_size</c>): 2 for only_1neg, min(negatives + 1, <paramref name="trainGroupSize"/>)
    /// for symmetric_class, the run's for another type; without a type the row's <c>train_group_size</c>, else the run's.
    /// </summary>
    public int GroupSize(int row, int negatives, int trainGroupSize) => Types[row] switch
    {
        "only_1neg" => 2,
        "symmetric_class" => Math.Min(negatives + 1, trainGroupSize),
        not null => trainGroupSize,
        null => GroupSizes[row] ?? trainGroupSize,
    };

    /// <summary>Whether a batch whose first row is <paramref name="row"/> writes its passages as queries (symmetric_sts, symmetric_clustering).</summary>
    public bool PassagesAsQueries(int row) => Types[row] is "symmetric_sts" or "symmetric_clustering";

    /// <summary>The keys of rows <paramref name="indices"/>, in that order.</summary>
    internal FlagEmbeddingRowKeys Select(IReadOnlyList<int> indices) =>
        new([.. indices.Select(i => Types[i])], [.. indices.Select(i => GroupSizes[i])], [.. indices.Select(i => BatchSizes[i])]);

    /// <summary>The keys of several files' rows in order (<paramref name="counts"/> rows each; null parts have none), or null when none has any.</summary>
    internal static FlagEmbeddingRowKeys? Concat(IReadOnlyList<FlagEmbeddingRowKeys?> parts, IReadOnlyList<int> counts)
    {
        if (parts.All(p => p is null)) return null;
        var all = parts.Select((p, i) => p ?? new FlagEmbeddingRowKeys(new string?[counts[i]], new int?[counts[i]], new int?[counts[i]])).ToList();
        return new([.. all.SelectMany(p => p.Types)], [.. all.SelectMany(p => p.GroupSizes)], [.. all.SelectMany(p => p.BatchSizes)]);
    }
}
