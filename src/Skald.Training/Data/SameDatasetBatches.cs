using Skald.Training.Config;

namespace Skald.Training.Data;

/// <summary>
/// FlagEmbedding's <c>same_dataset_within_batch</c> batching (<c>AbsEmbedderSameDatasetTrainDataset</c>,
/// <c>data.same_dataset_within_batch: true</c>): every batch holds rows of one FlagEmbedding file. An epoch shuffles
/// the files' order, then each file's rows, cuts them into batches of the file's batch size
/// (<see cref="FlagEmbeddingRowKeys.FileBatchSize"/>: its first row's <c>batch_size</c>, half the run's for a
/// symmetric type) leaving out a last batch that is not full, and shuffles the batches of all files together. Each
/// batch's rows draw as many documents as its first row's <c>type</c> or <c>train_group_size</c> says
/// (<see cref="FlagEmbeddingRowKeys.GroupSize"/>), under upstream's text rules for such batches. The plan is a pure
/// function of (seed, epoch), from <see cref="BatchPlanner.EpochRandom"/>; the rows' draws those of
/// <see cref="FlagEmbeddingGroups.GroupRandom"/>, so a resumed run trains on the same batches. Upstream draws with
/// numpy's and Python's generators; Skald the same distributions from its own.
/// Under mpirun every rank plans the same epoch and trains on its contiguous part of each batch (upstream's
/// <c>__getitem__</c> slices each process's part so), the loss spanning the ranks. A batch size here is global, as
/// <c>training.batch_size</c> is under mpirun: upstream's per-device sizes (its <c>per_device_train_batch_size</c> and a
/// row's <c>batch_size</c>) are multiplied by the processes to make its batch, so the same config and files train the
/// same model on any number of ranks, and an upstream run on N devices is this with both sizes multiplied by N. A
/// batch's group size is read from its first row, the same on every rank (upstream reads each process's own first
/// row, which can differ only for a <c>symmetric_class</c> file whose rows have different numbers of negatives).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/abc/finetune/embedder/AbsDataset.py
/// (<c>refresh_epoch</c>, <c>_get_file_batch_size</c>, <c>_get_train_group_size</c>, <c>_create_batch_data</c>).
/// Re-stated in Python by fixtures/training/make_same_dataset_batches.py.
/// The split across processes (<c>refresh_epoch</c>'s batches of the file's size × the processes, <c>__getitem__</c>'s
/// slice per process) read at commit 035bbf59ef5d1934239ceac0edcc30ba404c0c70 of the same file.
/// </remarks>
public static class SameDatasetBatches
{
    /// <summary>
    /// Epoch <paramref name="epoch"/>'s batches over <paramref name="datasets"/> (each a FlagEmbedding file, checked by
    /// <see cref="Check"/>), each batch's <see cref="PlannedBatch.Width"/> its query column and group size, and in
    /// <paramref name="data"/> the rows they read: per data set its rows drawn for the epoch.
    /// </summary>
    public static IReadOnlyList<PlannedBatch> PlanEpoch(IReadOnlyList<TextDataset> datasets, int batchSize, ulong seed, int epoch,
        out IReadOnlyList<TextDataset> data)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        var random = BatchPlanner.EpochRandom(seed, epoch);
        int[] files = [.. Enumerable.Range(0, datasets.Count)];
        TextDataset.Shuffle(files, random);
        var batches = new List<PlannedBatch>();
        var sizes = new int[datasets.Count][];
        var asQueries = new bool[datasets.Count][];
        foreach (int d in files)
        {
            var groups = datasets[d].Groups ?? throw new ArgumentException($"{datasets[d].Name}: not a FlagEmbedding file", nameof(datasets));
            int size = groups.RowKeys?.FileBatchSize(batchSize) ?? batchSize;
            int[] rows = [.. Enumerable.Range(0, groups.Count)];
            TextDataset.Shuffle(rows, random);
            (sizes[d], asQueries[d]) = (new int[groups.Count], new bool[groups.Count]);
            for (int start = 0; start + size <= rows.Length; start += size) // a last batch that is not full is left out
            {
                int[] batch = rows[start..(start + size)];
                int first = batch[0];
                int g = groups.RowKeys?.GroupSize(first, groups.Negatives[first].Count, groups.GroupSize) ?? groups.GroupSize;
                bool queries = groups.RowKeys?.PassagesAsQueries(first) == true;
                foreach (int r in batch) (sizes[d][r], asQueries[d][r]) = (g, queries);
                batches.Add(new PlannedBatch(d, batch) { Width = g + 1 });
            }
        }
        int[] order = [.. Enumerable.Range(0, batches.Count)];
        TextDataset.Shuffle(order, random);
        data = [.. datasets.Select((d, i) => d.Groups!.Sample(seed, epoch, d.Name, d.NoInBatchNegatives, sizes[i], asQueries[i]))];
        return [.. order.Select(i => batches[i])];
    }

    /// <summary>
    /// Checks a training data set for the run: with <c>data.same_dataset_within_batch</c>, that it is a FlagEmbedding
    /// file whose rows share one <c>type</c>, whose batch size (a first row's <c>batch_size</c>, or half of
    /// <c>training.batch_size</c> for a symmetric type) fills a batch, whose rows have the negatives their batches may
    /// draw and at least one row for each of the <paramref name="ranks"/>, under a loss that reads a group per query
    /// (<paramref name="lossReadsGroups"/>), with a shuffle; without it, that no row sets what upstream reads only then (a <c>type</c> only_1neg or symmetric_*,
    /// <c>train_group_size</c>, <c>batch_size</c>). Each fault is one line naming the file, line and key.
    /// </summary>
    public static void Check(TrainingConfig config, TextDataset d, bool lossReadsGroups, int ranks)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(d);
        var keys = d.Groups?.RowKeys;
        string At(int row, string key) => $"{d.Name}:{d.Groups!.Lines[row]}: key '{key}'";
        if (!config.Data.SameDatasetWithinBatch)
        {
            if (keys is null) return;
            for (int r = 0; r < keys.Types.Length; r++)
            {
                string? key = keys.Types[r] is "only_1neg" || keys.Types[r]?.Contains("symmetric", StringComparison.Ordinal) == true ? "type"
                    : keys.GroupSizes[r] is not null ? "train_group_size" : keys.BatchSizes[r] is not null ? "batch_size" : null;
                if (key is not null)
                    throw new TrainingException($"{At(r, key)}: FlagEmbedding reads a row's {key} only in batches of one file (same_dataset_within_batch); set data.same_dataset_within_batch: true, or leave the key out");
            }
            return;
        }
        string where = "data.same_dataset_within_batch";
        if (d.Groups is not { } groups)
            throw new TrainingException($"{d.Name}: {where} batches FlagEmbedding files ({{\"query\", \"pos\": [...], \"neg\": [...]}} rows), and this is not one");
        if (!lossReadsGroups)
            throw new TrainingException($"{where}'s batches draw a group size per batch, which loss.type bge_m3, mnrl and cached_mnrl read (not symmetric, not under loss.adaptive_layer), not {config.Loss.Type}");
        if (!config.Training.Shuffle || config.Training.GroupByLabel)
            throw new TrainingException($"{where} shuffles each file's rows and the batches, as upstream; training.{(config.Training.GroupByLabel ? "group_by_label" : "shuffle: false")} does not go with it");
        int size = keys?.FileBatchSize(config.Training.BatchSize) ?? config.Training.BatchSize;
        if (keys is not null)
        {
            for (int r = 1; r < groups.Count; r++)
            {
                if (keys.Types[r] != keys.Types[0])
                    throw new TrainingException($"{At(r, "type")}: {Named(keys.Types[r])} here, {Named(keys.Types[0])} on line {groups.Lines[0]}; a file's rows share one type (FlagEmbedding batches them together)");
                if (keys.BatchSizes[r] is not null && keys.BatchSizes[0] is null)
                    throw new TrainingException($"{At(r, "batch_size")}: set here but not on line {groups.Lines[0]}, whose batch_size is the file's (as upstream reads it)");
            }
        }
        if (size < 1 || size > groups.Count)
            throw new TrainingException($"{d.Name}: its batches hold {size} rows ({(keys?.BatchSizes[0] is not null ? "its batch_size" : size < 1 ? $"half of training.batch_size {config.Training.BatchSize}, for its symmetric type" : "training.batch_size")}), " +
                $"{(size < 1 ? "none" : $"more than its {groups.Count}")}; {where} leaves out a batch that is not full");
        if (size < ranks) // upstream gives every process an equal part of each batch
            throw new TrainingException($"{d.Name}: its batches hold {size} rows, fewer than the {ranks} ranks; under mpirun each rank trains on its part of every batch " +
                "(a file's batch size is the global batch, split across the ranks)");
        // the most documents a batch may draw: any row may be a batch's first
        int most = Enumerable.Range(0, groups.Count).Max(r => keys?.GroupSize(r, groups.Negatives[r].Count, groups.GroupSize) ?? groups.GroupSize);
        for (int r = 0; r < groups.Count && most > 1; r++)
        {
            if (groups.Negatives[r].Count == 0)
                throw new TrainingException($"{At(r, "neg")} is empty; a batch of this file may draw {most - 1} negatives per query");
        }
    }

    private static string Named(string? type) => type is null ? "no type" : $"type '{type}'";
}
