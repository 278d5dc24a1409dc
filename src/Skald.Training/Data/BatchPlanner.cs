using Skald.Tensors;
using Skald.Training.Config;

namespace Skald.Training.Data;

/// <summary>
/// Plans an epoch's batches, as sentence-transformers' samplers do. Within a dataset: rows shuffled (seeded) and, with
/// no-duplicates on, a batch never holds the same text twice (it would be a false in-batch negative): rows that clash
/// wait for a later batch. Across datasets each batch comes from one dataset; <c>round_robin</c> alternates datasets
/// and stops when the smallest runs out, <c>proportional</c> draws datasets in proportion to their batch counts.
/// The plan is a pure function of (seed, epoch), so a position (epoch, batch index) resumes exactly.
/// </summary>
public static class BatchPlanner
{
    /// <summary>The generator for an epoch's plan (its whole state is determined by seed and epoch).</summary>
    public static SkaldRandom EpochRandom(ulong seed, int epoch) =>
        new(unchecked(seed * 0x9E3779B97F4A7C15UL + (ulong)epoch * 0xD1B54A32D192ED03UL + 1));

    /// <summary>
    /// Checks that every dataset can fill at least one batch. With <paramref name="noDuplicates"/>, rows that repeat their
    /// texts may not fill a batch without a repeated text: when no batch can hold two rows (every row shares a text)
    /// training is refused, and when batches stay below the batch size <paramref name="warn"/> is told so, rather than
    /// training on small batches without a word.
    /// </summary>
    public static void Validate(IReadOnlyList<TextDataset> datasets, int batchSize, bool noDuplicates = false, Action<string>? warn = null)
    {
        foreach (var d in datasets)
        {
            if ((d.Groups?.RowKeys?.FileBatchSize(batchSize) ?? batchSize) > d.Count) // (a file's own batch size: SameDatasetBatches.Check said so first)
                throw new TrainingException(
                    $"training.batch_size {batchSize} is larger than the data: {d.Name} has {Tokenizers.Serialization.Counted.Of(d.Count, "row")}; " +
                    $"set training.batch_size to at most {d.Count}");
            if (!noDuplicates || batchSize < 2) continue;
            int largest = NoDuplicateBatches(d, [.. Enumerable.Range(0, d.Count)], batchSize).Max(b => b.Length);
            if (largest < 2)
                throw new TrainingException(
                    $"{d.Name}: with training.no_duplicates no batch can hold two rows (every row repeats a text of another); " +
                    "remove the duplicates, or set no_duplicates: false");
            if (largest < batchSize)
                warn?.Invoke($"note: {d.Name}: with training.no_duplicates its rows repeat texts, so batches hold at most {largest} " +
                    $"of training.batch_size {batchSize} rows" + (RepeatedAnchors(d) is { Length: > 0 } anchors ? anchors : FewestTexts(d, batchSize)));
        }
    }

    // Rows of three or more columns that repeat their first text, as mine-negatives' triplet format writes one row per
    // hard negative: two of them never meet in a batch, and one row per anchor with all its negatives (the n-tuple
    // format, sentence-transformers' too) fills the batches instead.
    private static string RepeatedAnchors(TextDataset d)
    {
        if (d.Columns.Count < 3) return "";
        int repeats = d.Count - d.Rows.Select(r => r[0]).Distinct(StringComparer.Ordinal).Count();
        return repeats == 0 ? ""
            : $"; {Tokenizers.Serialization.Counted.Of(repeats, "row")} repeat an earlier row's '{d.Columns[0]}', as mined triplets do (a row " +
              $"per negative): `skald data mine-negatives --format n-tuple` writes one row per '{d.Columns[0]}' with all its negatives (one with fewer than --num-negatives left out)";
    }

    // The column with the fewest different texts when it alone caps the batches below the batch size: a column such as
    // "lang" that was never meant as an input (every column but the label is one, as in sentence-transformers) shows here.
    private static string FewestTexts(TextDataset d, int batchSize)
    {
        if (d.Columns.Count == 0) return "";
        var distinct = Enumerable.Range(0, d.Columns.Count)
            .Select(c => (Column: d.Columns[c], Texts: d.Rows.Select(r => r[c]).Distinct(StringComparer.Ordinal).Count())).MinBy(x => x.Texts);
        return distinct.Texts < batchSize
            ? $"; column '{distinct.Column}' has only {distinct.Texts} different texts (every column but the label is an input, as in " +
              "sentence-transformers: data.columns names the inputs)"
            : "";
    }

    /// <summary>
    /// The note for <c>round_robin</c> over files of unequal batch counts, or null: an epoch ends when the file with the
    /// fewest batches runs out (as sentence-transformers' RoundRobinBatchSampler), so the larger files' other rows go
    /// unseen that epoch, which the run's "training on N rows" alone would hide.
    /// </summary>
    public static string? RoundRobinNote(IReadOnlyList<TextDataset> datasets, int batchSize, string sampling)
    {
        if (datasets.Count < 2 || sampling != "round_robin") return null;
        var batches = datasets.Select(d => (d.Count + batchSize - 1) / batchSize).ToList();
        int rounds = batches.Min();
        if (batches.All(b => b == rounds)) return null;
        var smallest = datasets[batches.IndexOf(rounds)];
        var unseen = datasets.Where((d, i) => batches[i] > rounds)
            .Select(d => $"{d.Name} {Math.Max(0, d.Count - rounds * batchSize)} of {d.Count}");
        return $"note: data.sampling round_robin ends each epoch when {smallest.Name} runs out " +
            $"({Tokenizers.Serialization.Counted.Of(rounds, "batch", "batches")} of each file), so rows go unseen every epoch ({string.Join(", ", unseen)}); " +
            "data.sampling: proportional draws every row";
    }

    /// <summary>
    /// Plans epoch <paramref name="epoch"/>; with <paramref name="groupByLength"/> the rows of a dataset with
    /// <see cref="TextDataset.Lengths"/> are length-grouped after the shuffle (<see cref="GroupByLength"/>).
    /// </summary>
    public static IReadOnlyList<PlannedBatch> PlanEpoch(IReadOnlyList<TextDataset> datasets, int batchSize, bool shuffle,
        bool noDuplicates, string sampling, ulong seed, int epoch, bool groupByLength = false, bool groupByLabel = false)
    {
        var random = EpochRandom(seed, epoch);
        var perDataset = new List<List<int[]>>();
        foreach (var d in datasets)
        {
            if (groupByLabel)
            {
                perDataset.Add(GroupByLabel(d, batchSize, shuffle ? random : null));
                continue;
            }
            var order = Enumerable.Range(0, d.Count).ToArray();
            if (shuffle) TextDataset.Shuffle(order, random);
            if (groupByLength && d.Lengths is { } lengths) order = GroupByLength(order, lengths, batchSize);
            perDataset.Add(noDuplicates ? NoDuplicateBatches(d, order, batchSize) : Chunks(order, batchSize));
        }
        var plan = new List<PlannedBatch>();
        if (datasets.Count == 1)
        {
            plan.AddRange(perDataset[0].Select(b => new PlannedBatch(0, b)));
        }
        else if (sampling == "proportional")
        {
            var which = perDataset.SelectMany((b, i) => Enumerable.Repeat(i, b.Count)).ToArray();
            TextDataset.Shuffle(which, random);
            var next = new int[datasets.Count];
            foreach (int i in which) plan.Add(new PlannedBatch(i, perDataset[i][next[i]++]));
        }
        else
        {
            int rounds = perDataset.Min(b => b.Count);
            for (int r = 0; r < rounds; r++)
            {
                for (int i = 0; i < datasets.Count; i++) plan.Add(new PlannedBatch(i, perDataset[i][r]));
            }
        }
        return plan;
    }

    /// <summary>
    /// The batches of <paramref name="plan"/> that can give each of <paramref name="ranks"/> ranks a row: the global batch
    /// is split across the ranks, and a batch with fewer rows (an epoch's last when the rows do not fill it, or one that
    /// no-duplicates left short) is left out, as a sampler's drop_last leaves out a short last batch. Every rank plans
    /// the same epoch, so all leave out the same batches; at most ranks − 1 rows of such a batch go unseen that epoch
    /// (the next epoch's shuffle puts them elsewhere).
    /// </summary>
    public static IReadOnlyList<PlannedBatch> ForRanks(IReadOnlyList<PlannedBatch> plan, int ranks) =>
        plan.All(b => b.Rows.Length >= ranks) ? plan : [.. plan.Where(b => b.Rows.Length >= ranks)];

    /// <summary>
    /// transformers' LengthGroupedSampler (trainer_pt_utils.get_length_grouped_indices) over an already shuffled
    /// <paramref name="order"/>: cut into mega-batches of 50 batches, each sorted by length, longest first (ties keep
    /// their order), and the longest row of all moved to the very first place so a too-long batch fails at once.
    /// Batches then hold rows of similar length, so little of a padded batch is padding.
    /// </summary>
    /// <remarks>Upstream: https://github.com/huggingface/transformers/blob/002272831fba584eb30dca9729c1be456836960a/src/transformers/trainer_pt_utils.py</remarks>
    public static int[] GroupByLength(int[] order, IReadOnlyList<int> lengths, int batchSize)
    {
        int mega = Math.Max(1, batchSize * 50);
        var result = new int[order.Length];
        int longestAt = 0;
        for (int s = 0; s < order.Length; s += mega)
        {
            var chunk = order[s..Math.Min(order.Length, s + mega)];
            var sorted = chunk.Select((row, k) => (row, k)).OrderByDescending(x => lengths[x.row]).ThenBy(x => x.k).Select(x => x.row).ToArray();
            sorted.CopyTo(result, s);
            if (lengths[sorted[0]] > lengths[result[longestAt]]) longestAt = s;
        }
        (result[0], result[longestAt]) = (result[longestAt], result[0]);
        return result;
    }

    /// <summary>
    /// sentence-transformers' GroupByLabelBatchSampler: the rows of each label in file order, cut to an even count
    /// (a label with one row is left out), the labels in a random order (seeded per epoch; file order without
    /// <paramref name="random"/>), joined and cut into batches, the last one possibly smaller. Every label in a batch
    /// then has at least two rows, as the batch triplet losses need.
    /// </summary>
    /// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sampler.py</remarks>
    public static List<int[]> GroupByLabel(TextDataset d, int batchSize, SkaldRandom? random)
    {
        if (d.Labels is not { } labels || d.LabelWidth != 1)
            throw new TrainingException($"{d.Name}: training.group_by_label needs one label per row");
        var groups = new Dictionary<float, List<int>>();
        var first = new List<float>();
        for (int i = 0; i < d.Count; i++)
        {
            if (!groups.TryGetValue(labels[i], out var rows))
            {
                groups[labels[i]] = rows = [];
                first.Add(labels[i]);
            }
            rows.Add(i);
        }
        var kept = first.Where(l => groups[l].Count >= 2).ToArray();
        int[] labelOrder = [.. Enumerable.Range(0, kept.Length)];
        if (random is not null) TextDataset.Shuffle(labelOrder, random);
        var order = labelOrder.Select(i => groups[kept[i]]).SelectMany(rows => rows.Take(rows.Count / 2 * 2)).ToArray();
        return Chunks(order, batchSize);
    }

    private static List<int[]> Chunks(int[] order, int batchSize)
    {
        var list = new List<int[]>();
        for (int s = 0; s < order.Length; s += batchSize) list.Add(order[s..Math.Min(order.Length, s + batchSize)]);
        return list;
    }

    /// <summary>
    /// Greedy no-duplicates batching over <paramref name="order"/>: each batch takes the earliest waiting rows whose
    /// texts are not yet in it; rows that clash keep their place for the next batch. The last batch may be smaller.
    /// </summary>
    internal static List<int[]> NoDuplicateBatches(TextDataset d, int[] order, int batchSize)
    {
        // Rows that clashed wait in `deferred` (in order, before every row not yet looked at), so each batch scans
        // only its own rows plus the few that wait: linear time, same result as rescanning the whole waiting list.
        var batches = new List<int[]>();
        var texts = new HashSet<string>(StringComparer.Ordinal);
        var deferred = new List<int>();
        int cursor = 0;
        while (deferred.Count > 0 || cursor < order.Length)
        {
            texts.Clear();
            var batch = new List<int>(batchSize);
            var stillWaiting = new List<int>();
            foreach (int idx in deferred)
            {
                if (batch.Count < batchSize && TryAdd(d.Rows[idx], texts)) batch.Add(idx);
                else stillWaiting.Add(idx);
            }
            while (batch.Count < batchSize && cursor < order.Length)
            {
                int idx = order[cursor++];
                if (TryAdd(d.Rows[idx], texts)) batch.Add(idx);
                else stillWaiting.Add(idx);
            }
            batches.Add([.. batch]);
            deferred = stillWaiting;
        }
        return batches;
    }

    private static bool TryAdd(string[] row, HashSet<string> texts)
    {
        foreach (var t in row)
        {
            if (t.Length > 0 && texts.Contains(t)) return false; // "" pads a shorter list of documents: no text
        }
        foreach (var t in row) if (t.Length > 0) texts.Add(t);
        return true;
    }
}
