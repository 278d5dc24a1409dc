using Skald.Tensors;

namespace Skald.Training.Data;

/// <summary>
/// The groups of a FlagEmbedding training file (<see cref="FlagEmbeddingReader"/>): per query its positives, its
/// negatives and, for knowledge distillation, a teacher's score of each. Every epoch draws from each group, as
/// FlagEmbedding's <c>AbsEmbedderTrainDataset.__getitem__</c> does, one positive (uniformly) and
/// <see cref="GroupSize"/> − 1 negatives: a sample without replacement of the negatives when there are enough, else of
/// the negatives each repeated ⌈(G − 1) / n⌉ times (so one appears at most that often). The draws of a group are a
/// pure function of (seed, epoch, the group's place in its file), so a resumed run, or the same run again, trains on
/// the same rows, and holding rows out or capping them changes no other group's draws.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/abc/finetune/embedder/AbsDataset.py
/// (AbsEmbedderTrainDataset.__getitem__, AbsEmbedderSameDatasetTrainDataset._create_batch_data), which draws with
/// Python's global <c>random</c>; Skald draws the same distribution from its own seeded generator.
/// </remarks>
public sealed class FlagEmbeddingGroups
{
    private readonly string[] queries;
    private readonly string?[] prompts;
    private readonly string[][] positives;
    private readonly string[][] negatives;
    private readonly float[][]? positiveScores;
    private readonly float[][]? negativeScores;
    private readonly ulong[] keys;
    private readonly int[] lines;

    internal FlagEmbeddingGroups(int groupSize, string[] queries, string[][] positives, string[][] negatives,
        float[][]? positiveScores, float[][]? negativeScores, ulong[] keys, int[] lines, string?[] prompts,
        FlagEmbeddingInstructions? instructions = null, FlagEmbeddingRowKeys? rowKeys = null)
    {
        RowKeys = rowKeys;
        GroupSize = groupSize;
        this.queries = queries;
        this.prompts = prompts;
        Instructions = instructions ?? FlagEmbeddingInstructions.None;
        this.positives = positives;
        this.negatives = negatives;
        this.positiveScores = positiveScores;
        this.negativeScores = negativeScores;
        this.keys = keys;
        this.lines = lines;
    }

    /// <summary>Documents per query and epoch: one positive and GroupSize − 1 negatives (data.train_group_size).</summary>
    public int GroupSize { get; }

    /// <summary>The rows' <c>type</c>, <c>train_group_size</c> and <c>batch_size</c> (same-dataset batching's), or null when no row has one.</summary>
    public FlagEmbeddingRowKeys? RowKeys { get; }

    /// <summary>The line of the file each group was read from (1-based), in order.</summary>
    public IReadOnlyList<int> Lines => lines;

    /// <summary>Number of groups (queries).</summary>
    public int Count => queries.Length;

    /// <summary>
    /// Each group's query with its own prompt written before it (as <c>skald data inspect</c> reports it, and as
    /// training reads it under an empty <c>data.query_instruction_for_retrieval</c>), in file order.
    /// </summary>
    public IReadOnlyList<string> Queries => [.. queries.Select((q, r) => (prompts[r] ?? "") + q)];

    /// <summary>Each group's own <c>prompt</c> (null when the row has none), in file order.</summary>
    public IReadOnlyList<string?> Prompts => prompts;

    /// <summary>The run-wide instructions and shuffling applied to each draw (<see cref="With"/>; none as read).</summary>
    public FlagEmbeddingInstructions Instructions { get; }

    /// <summary>The same groups, drawn with <paramref name="instructions"/> applied (<c>data.query_instruction_for_retrieval</c>, ...).</summary>
    public FlagEmbeddingGroups With(FlagEmbeddingInstructions instructions) =>
        new(GroupSize, queries, positives, negatives, positiveScores, negativeScores, keys, lines, prompts, instructions, RowKeys);

    /// <summary>Each group's positives, in file order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Positives => positives;

    /// <summary>Each group's negatives, in file order (empty when the row has none).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Negatives => negatives;

    /// <summary>Each group's teacher scores of its positives (pos_scores), or null when the file has none.</summary>
    public IReadOnlyList<IReadOnlyList<float>>? PositiveScores => positiveScores;

    /// <summary>Each group's teacher scores of its negatives (neg_scores; empty when a row leaves them out), or null when the file has none.</summary>
    public IReadOnlyList<IReadOnlyList<float>>? NegativeScores => negativeScores;

    /// <summary>Whether the groups carry a teacher's scores (pos_scores, neg_scores), which become each row's labels.</summary>
    public bool HasScores => positiveScores is not null;

    /// <summary>The input columns of a sampled row: query, pos, neg[0] … neg[G−2].</summary>
    public IReadOnlyList<string> Columns => ColumnsOf(GroupSize);

    private static string[] ColumnsOf(int groupSize) => ["query", "pos", .. Enumerable.Range(0, groupSize - 1).Select(j => $"neg[{j}]")];

    /// <summary>The rows of epoch <paramref name="epoch"/> under <paramref name="seed"/>, one per group, as a data set named <paramref name="name"/>.</summary>
    public TextDataset Sample(ulong seed, int epoch, string name, bool noInBatchNegatives = false) => Sample(seed, epoch, name, noInBatchNegatives, null, null);

    /// <summary>
    /// The rows of an epoch; with <paramref name="sizes"/> (same-dataset batching, <see cref="SameDatasetBatches"/>) row r
    /// draws sizes[r] documents (0: in no batch this epoch, left empty) under upstream's <c>_create_batch_data</c> text
    /// rules (the row's prompt, else the query instruction, before the query; with <paramref name="asQueries"/>[r] the
    /// passages written so too), every row as wide as the widest, the rest "" (labels NaN), which
    /// <see cref="TextDataset.Batch(IReadOnlyList{int}, int)"/> leaves out.
    /// </summary>
    internal TextDataset Sample(ulong seed, int epoch, string name, bool noInBatchNegatives, int[]? sizes, bool[]? asQueries)
    {
        int g = sizes is null ? GroupSize : Math.Max(1, sizes.Max());
        var rows = new string[Count][];
        var labels = HasScores ? new float[Count * g] : null;
        var ins = Instructions;
        for (int r = 0; r < Count; r++)
        {
            var row = rows[r] = new string[g + 1];
            Array.Fill(row, "");
            labels?.AsSpan(r * g, g).Fill(float.NaN);
            // (a row whose type or train_group_size sets its size may have no negatives: drawn alone until SameDatasetBatches.Check)
            int size = sizes?[r] ?? (negatives[r].Length == 0 ? 1 : g);
            if (size == 0) continue;
            var random = GroupRandom(seed, epoch, keys[r]);
            var (pos, negs) = Draw(positives[r].Length, negatives[r].Length, size, random);
            Func<string, string> passage = asQueries?[r] == true ? p => ins.SameDatasetQueryText(p, prompts[r]) : ins.PassageText;
            row[0] = sizes is null ? ins.QueryText(queries[r], prompts[r]) : ins.SameDatasetQueryText(queries[r], prompts[r]);
            // (the shuffle draws after the documents' draws: without shuffle_ratio the draws are those of before)
            row[1] = passage(FlagEmbeddingInstructions.ShuffleText(positives[r][pos], ins.ShuffleRatio, random));
            for (int k = 0; k < negs.Length; k++) row[k + 2] = passage(negatives[r][negs[k]]);
            if (labels is null) continue;
            labels[r * g] = positiveScores![r][pos];
            for (int k = 0; k < negs.Length; k++) labels[r * g + k + 1] = negativeScores![r][negs[k]];
        }
        return new TextDataset(name, ColumnsOf(g), rows, labels, labels is null ? null : "pos_scores+neg_scores")
        {
            Lines = lines, Groups = this, NoInBatchNegatives = noInBatchNegatives,
        };
    }

    /// <summary>
    /// One group's draw: the index of the positive among <paramref name="positives"/> and of the
    /// <paramref name="groupSize"/> − 1 negatives among <paramref name="negatives"/>, in the order drawn.
    /// </summary>
    public static (int Positive, int[] Negatives) Draw(int positives, int negatives, int groupSize, SkaldRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(positives, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        int pos = random.Next(positives);
        int wanted = groupSize - 1;
        if (wanted == 0) return (pos, []);
        if (negatives < 1) throw new ArgumentOutOfRangeException(nameof(negatives), "no negatives to draw from");
        // Too few: the pool holds each negative ⌈wanted / n⌉ times; either way a sample without replacement from it,
        // a partial Fisher–Yates shuffle whose first `wanted` places are the draw, in the order drawn.
        int copies = negatives < wanted ? (wanted + negatives - 1) / negatives : 1;
        var pool = new int[negatives * copies];
        for (int i = 0; i < pool.Length; i++) pool[i] = i % negatives;
        for (int k = 0; k < wanted; k++)
        {
            int j = k + random.Next(pool.Length - k);
            (pool[k], pool[j]) = (pool[j], pool[k]);
        }
        return (pos, pool[..wanted]);
    }

    /// <summary>The generator of one group's draws in an epoch (its whole state fixed by seed, epoch and the group's key).</summary>
    public static SkaldRandom GroupRandom(ulong seed, int epoch, ulong key) =>
        new(unchecked((seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)epoch * 0xD1B54A32D192ED03UL) ^ ((key + 1) * 0xA24BAED4963EE407UL)));

    /// <summary>The groups <paramref name="indices"/>, in that order (each keeps its draws).</summary>
    internal FlagEmbeddingGroups Select(IReadOnlyList<int> indices)
    {
        T[] Pick<T>(T[] a) => [.. indices.Select(i => a[i])];
        return new FlagEmbeddingGroups(GroupSize, Pick(queries), Pick(positives), Pick(negatives),
            positiveScores is null ? null : Pick(positiveScores), negativeScores is null ? null : Pick(negativeScores), Pick(keys), Pick(lines),
            Pick(prompts), Instructions, RowKeys?.Select(indices));
    }

    /// <summary>The same groups without their teacher's scores (a loss that reads none: FlagEmbedding drops them unless it distils).</summary>
    public FlagEmbeddingGroups WithoutScores() =>
        new(GroupSize, queries, positives, negatives, null, null, keys, lines, prompts, Instructions, RowKeys);

    /// <summary>The groups of several shards of one data set, in order; shard s's groups keyed apart from the others'.</summary>
    /// <summary>
    /// The same groups batched <paramref name="size"/> rows at a time by same-dataset batching, whatever the first row
    /// says (a folder's merged small files: the smallest of their batch sizes, <see cref="FlagEmbeddingFolder"/>).
    /// </summary>
    internal FlagEmbeddingGroups WithFileBatchSize(int size)
    {
        var k = RowKeys ?? new FlagEmbeddingRowKeys(new string?[Count], new int?[Count], new int?[Count]);
        int?[] sizes = [.. k.BatchSizes];
        sizes[0] = size;
        return new(GroupSize, queries, positives, negatives, positiveScores, negativeScores, keys, lines, prompts, Instructions, k with { BatchSizes = sizes });
    }

    internal static FlagEmbeddingGroups Concat(IReadOnlyList<FlagEmbeddingGroups> parts)
    {
        bool scores = parts[0].HasScores;
        return new FlagEmbeddingGroups(parts[0].GroupSize, [.. parts.SelectMany(p => p.queries)], [.. parts.SelectMany(p => p.positives)],
            [.. parts.SelectMany(p => p.negatives)], scores ? [.. parts.SelectMany(p => p.positiveScores!)] : null,
            scores ? [.. parts.SelectMany(p => p.negativeScores!)] : null,
            [.. parts.SelectMany((p, s) => p.keys.Select(k => ((ulong)s << 40) ^ k))], [.. parts.SelectMany(p => p.lines)],
            [.. parts.SelectMany(p => p.prompts)], parts[0].Instructions, FlagEmbeddingRowKeys.Concat([.. parts.Select(p => p.RowKeys)], [.. parts.Select(p => p.Count)]));
    }
}
