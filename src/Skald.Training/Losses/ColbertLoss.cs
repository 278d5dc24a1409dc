using Skald.Models.LateInteraction;
using Skald.Training.Config;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// Base of PyLate's ColBERT losses (<see cref="ColbertContrastiveLoss"/>, <see cref="ColbertDistillationLoss"/>): each
/// column's texts through one recorded pass of a late-interaction model (<see cref="Skald.Models.SentenceEncoder.LateInteraction"/>),
/// its token vectors L2-normalised and masked as PyLate masks them, the scores and loss of the subclass over them, and
/// the gradient of the kept vectors back through the pass. Under mpirun each rank encodes its shard and the loss spans
/// every rank's texts (<see cref="ColbertAcrossRanks"/>). With <see cref="MiniBatchSize"/> the passes run in chunks on
/// <see cref="GradCache"/>'s schedule (PyLate's CachedContrastive): the loss and gradients are the whole batch's. A
/// column's training prompt (<see cref="TrainingBatch.Prompts"/>) is written before its texts as PyLate's collator
/// writes it (<see cref="ColbertInputs.Tokenize(IReadOnlyList{string}, bool, string?)"/>), and each column tokenized as
/// queries or documents by its name as the collator does (<see cref="ColbertColumns"/>; the first column is the anchor).
/// </summary>
/// <remarks>
/// PyLate's training collator pads every text to its full length (<c>padding="max_length"</c>: query_length or
/// document_length), and its scores multiply the dot products by the mask before the max over a document's tokens
/// (<c>colbert_scores</c>, <c>colbert_kd_scores</c>), so a document with any masked position (padding, a skiplist
/// token) offers a 0 to every query token's max, which a real token must beat. A document's vectors here are its kept
/// ones plus one zero vector when it has fewer than document_length of them, which gives the same scores and
/// gradients. A query's masked tokens (without expansion) add 0 and are left out; with expansion every token counts.
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/losses/contrastive.py
/// (extract_skiplist_mask), pylate/utils/collator.py, pylate/scores/colbert.py, pylate/losses/cached_contrastive.py at
/// the same commit. The cached loss's scores are the uncached one's: PyLate's per-chunk cross-entropy sums over query
/// chunks and divides by the batch once, which is the mean.
/// </remarks>
public abstract class ColbertLoss : ILoss
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>Runs under mpirun: the ranks' token vectors are gathered and every rank computes the whole batch's loss (<see cref="ColbertAcrossRanks"/>).</summary>
    public bool SpansRanks => true;

    /// <summary>
    /// The loss over one batch's token vectors: <paramref name="queries"/>[i] (rows × dim, row-major), documents
    /// <paramref name="documents"/>[column][i] (column 0 the first document column); gradients of the same shapes,
    /// zeroed, to ADD d(loss)/d(vectors) into.
    /// </summary>
    public abstract float Compute(IReadOnlyList<float[]> queries, IReadOnlyList<IReadOnlyList<float[]>> documents, int dim,
        IReadOnlyList<float>? labels, IReadOnlyList<float[]> queryGradients, IReadOnlyList<IReadOnlyList<float[]>> documentGradients);

    /// <summary>
    /// GradCache (<c>loss.cached: true</c>, PyLate's CachedContrastive): rows per chunk of the embedding passes; null
    /// (the default) embeds every column in one recorded pass.
    /// </summary>
    public int? MiniBatchSize
    {
        get => miniBatchSize;
        init => miniBatchSize = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "mini_batch_size must be at least 1");
    }

    private readonly int? miniBatchSize;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        var inputs = encoder.Model.LateInteraction
            ?? throw new TrainingException($"loss.type {Name} trains a ColBERT (one vector per token); {encoder.Source.Path} is a sentence embedder (set model.type: colbert)");
        EmbeddingLoss.CheckBatch(batch);
        (batch, var queries) = ColbertColumns.Select(batch);
        if (batch.Columns.Count < 2)
            throw new ArgumentException($"{Name} needs a query column and at least one document column (a column whose name contains '_id' is left out, as PyLate's collator leaves it)", nameof(batch));
        if (MiniBatchSize is int size) return Cached(encoder, inputs, batch, queries, size, gradientScale);
        int dim = encoder.Dimension;
        using var pass = encoder.BeginPass(record: true);
        var columns = new Column[batch.Columns.Count];
        for (int c = 0; c < columns.Length; c++) columns[c] = Embed(pass, inputs, Tokenize(inputs, batch, queries, c), anchor: c == 0, queries[c], dim);
        var vectorGradients = columns.Select(c => Zeros(c.Vectors)).ToArray();
        float value = Loss(encoder, [.. columns.Select(c => c.Vectors)], dim, batch.Labels, vectorGradients);
        var gradients = new EmbeddingBatch[columns.Length];
        for (int c = 0; c < columns.Length; c++) gradients[c] = columns[c].Scatter(vectorGradients[c], dim);
        pass.Backward(gradients, gradientScale);
        return value;
    }

    // GradCache over token vectors: every chunk's kept vectors without recording, the loss and d(loss)/d(vectors) over
    // the whole batch, then each chunk again, recorded, its slice of those gradients put back on its rows.
    private float Cached(TrainableEncoder encoder, ColbertInputs inputs, TrainingBatch batch, bool[] queries, int size, float gradientScale)
    {
        int dim = encoder.Dimension, cols = batch.Columns.Count;
        var rows = batch.Columns.Select((_, c) => Tokenize(inputs, batch, queries, c)).ToArray();
        var cache = new GradCache(encoder.Random, cols, batch.Count, size);
        var chunks = new Column[cols, cache.Chunks];
        using (var pass = encoder.BeginPass(record: false))
            cache.Embed((c, m) => chunks[c, m] = Embed(pass, inputs, Range(rows[c], cache.Chunk(m)), anchor: c == 0, queries[c], dim));
        var vectors = Enumerable.Range(0, cols).Select(c => Enumerable.Range(0, cache.Chunks).SelectMany(m => chunks[c, m].Vectors).ToArray()).ToArray();
        var vectorGradients = vectors.Select(Zeros).ToArray();
        float value = Loss(encoder, vectors, dim, batch.Labels, vectorGradients);
        cache.Replay((c, m) =>
        {
            var (start, count) = cache.Chunk(m);
            using var pass = encoder.BeginPass(record: true);
            var again = Embed(pass, inputs, Range(rows[c], (start, count)), anchor: c == 0, queries[c], dim);
            pass.Backward([again.Scatter(vectorGradients[c][start..(start + count)], dim)], gradientScale);
        });
        return value;
    }

    // Column c's rows as PyLate's collator makes them: its training prompt (training.prompts) before each text,
    // tokenized as queries or documents by the column's name (ColbertColumns). The anchor (column 0) tokenized as
    // documents is padded to document_length as the collator pads it, since with expansion the loss reads every position.
    private static IReadOnlyList<(int[] Ids, int[] TypeIds, int[] Mask)> Tokenize(ColbertInputs inputs, TrainingBatch batch, bool[] queries, int c)
    {
        var rows = inputs.Tokenize(batch.Columns[c], queries[c], batch.Prompts?[c]);
        return c == 0 && !queries[c] && inputs.Settings.DoQueryExpansion ? inputs.Pad(rows, isQuery: false) : rows;
    }

    // The loss over every column's vectors (column 0 the queries), under mpirun over every rank's.
    private float Loss(TrainableEncoder encoder, float[][][] vectors, int dim, IReadOnlyList<float>? labels, float[][][] gradients) =>
        encoder.Communicator.Size == 1
            ? Compute(vectors[0], [.. vectors.Skip(1)], dim, labels, gradients[0], [.. gradients.Skip(1)])
            : ColbertAcrossRanks.Compute(this, encoder.Communicator, vectors, dim, labels, gradients);

    private static (int[] Ids, int[] TypeIds, int[] Mask)[] Range(IReadOnlyList<(int[] Ids, int[] TypeIds, int[] Mask)> rows, (int Start, int Count) chunk) =>
        [.. rows.Skip(chunk.Start).Take(chunk.Count)];

    private static float[][] Zeros(float[][] like) => [.. like.Select(v => new float[v.Length])];

    // One column's pass: each text's kept rows of the pass output, copied out, with a zero row for a masked position.
    // The anchor's rows are kept as PyLate's loss keeps a query's (every one with expansion, else the attended ones),
    // another column's as a document's (attended, not in the skiplist), each as the column was tokenized.
    private static Column Embed(EncoderPass pass, ColbertInputs inputs, IReadOnlyList<(int[] Ids, int[] TypeIds, int[] Mask)> rows, bool anchor,
        bool tokenizedAsQuery, int dim)
    {
        var tokens = inputs.Batch(rows);
        var y = pass.ForwardTokens(tokens);
        var vectors = new float[rows.Count][];
        var sources = new int[rows.Count][];
        for (int b = 0; b < rows.Count; b++)
        {
            var kept = new List<int>(rows[b].Ids.Length + 1);
            for (int t = 0; t < rows[b].Ids.Length; t++)
            {
                if (inputs.Keeps(rows[b].Ids[t], rows[b].Mask[t], anchor)) kept.Add(b * tokens.Seq + t);
            }
            if (!anchor && kept.Count < inputs.PaddedLength(tokenizedAsQuery)) kept.Add(-1); // PyLate's masked positions: a 0 in the max
            var v = new float[kept.Count * dim];
            for (int k = 0; k < kept.Count; k++)
            {
                if (kept[k] >= 0) y.Row(kept[k]).CopyTo(v.AsSpan(k * dim, dim));
            }
            vectors[b] = v;
            sources[b] = [.. kept];
        }
        return new Column(vectors, sources, y.Rows);
    }

    private sealed record Column(float[][] Vectors, int[][] Sources, int OutputRows)
    {
        // The kept rows' gradients put back at their rows of the pass output; the zero row's and masked rows' are dropped.
        public EmbeddingBatch Scatter(IReadOnlyList<float[]> gradients, int dim)
        {
            var g = new EmbeddingBatch(OutputRows, dim);
            for (int b = 0; b < Sources.Length; b++)
            {
                for (int k = 0; k < Sources[b].Length; k++)
                {
                    if (Sources[b][k] >= 0) gradients[b].AsSpan(k * dim, dim).CopyTo(g.Row(Sources[b][k]));
                }
            }
            return g;
        }
    }

    /// <summary>The ColBERT losses <c>loss.type</c> names (<c>colbert_contrastive</c>, <c>colbert_distillation</c>).</summary>
    public static bool IsColbert(string lossType) => lossType is "colbert_contrastive" or "colbert_distillation";

    /// <summary>The loss <paramref name="l"/> names.</summary>
    public static ColbertLoss Create(LossSection l)
    {
        ArgumentNullException.ThrowIfNull(l);
        return l.Type switch
        {
            "colbert_contrastive" => new ColbertContrastiveLoss(l.Temperature, l.SizeAverage) { MiniBatchSize = l.Cached ? l.MiniBatchSize : null },
            "colbert_distillation" => new ColbertDistillationLoss(l.NormalizeScores, l.SizeAverage),
            _ => throw new ArgumentException($"loss.type {l.Type} is not a ColBERT loss", nameof(l)),
        };
    }
}
