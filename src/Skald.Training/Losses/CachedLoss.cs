using Skald.Models;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// GradCache (Gao et al. 2021, sentence-transformers' Cached* losses) around any <see cref="IEmbeddingLoss"/>: embed
/// every column in mini-batches without recording, compute the loss and d(loss)/d(embeddings) over the full batch,
/// then re-run each mini-batch with recording and backpropagate its slice of the cached gradients, on the schedule of
/// <see cref="GradCache"/> (the generator state of each mini-batch's first pass restored for its second, so dropout
/// masks match). Gradients equal the
/// full-batch loss's; activation memory is that of one mini-batch. Under data parallelism each rank embeds its shard
/// and the loss spans every rank's embeddings (<see cref="AcrossRanks"/>).
/// </summary>
public class CachedLoss : ILoss
{
    private readonly Func<TrainingBatch, IEmbeddingLoss> innerFor;

    /// <summary>GradCache around <paramref name="inner"/>.</summary>
    public CachedLoss(IEmbeddingLoss inner, int miniBatchSize = 32)
        : this(_ => inner, (inner ?? throw new ArgumentNullException(nameof(inner))).Name, miniBatchSize, spansRanks: true) => Inner = inner;

    /// <summary>
    /// GradCache around a loss made for each batch (<paramref name="innerFor"/>: GISTEmbedLoss with the batch's guide
    /// embeddings, sentence-transformers' CachedGISTEmbedLoss); <paramref name="spansRanks"/> whether it runs under mpirun.
    /// </summary>
    public CachedLoss(Func<TrainingBatch, IEmbeddingLoss> innerFor, string innerName, int miniBatchSize = 32, bool spansRanks = false)
    {
        this.innerFor = innerFor ?? throw new ArgumentNullException(nameof(innerFor));
        InnerName = innerName ?? throw new ArgumentNullException(nameof(innerName));
        MiniBatchSize = miniBatchSize >= 1 ? miniBatchSize : throw new ArgumentOutOfRangeException(nameof(miniBatchSize));
        SpansRanks = spansRanks;
    }

    /// <summary>The wrapped loss (null when it is made per batch).</summary>
    public IEmbeddingLoss? Inner { get; }

    /// <summary>The wrapped loss's name.</summary>
    public string InnerName { get; }

    /// <summary>Rows per mini-batch.</summary>
    public int MiniBatchSize { get; }

    /// <inheritdoc />
    public virtual string Name => "cached_" + InnerName;

    /// <inheritdoc />
    public bool SpansRanks { get; }

    /// <summary>The wrapped loss's own parameters (SoftmaxLoss's classifier), trained through the cache too.</summary>
    public IReadOnlyList<Skald.Tensors.Autograd.Parameter> Parameters => (Inner as ILoss)?.Parameters ?? [];

    /// <inheritdoc />
    public IReadOnlyList<Skald.Tensors.Autograd.Parameter> SavedParameters => (Inner as ILoss)?.SavedParameters ?? [];

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        EmbeddingLoss.CheckBatch(batch);
        int rows = batch.Count, cols = batch.Columns.Count;
        var tokens = batch.Columns.Select((_, i) => encoder.Prepare(batch, i)).ToArray();
        var cache = new GradCache(encoder.Random, cols, rows, MiniBatchSize);
        var parts = new EmbeddingBatch[cols, cache.Chunks];
        using (var pass = encoder.BeginPass(record: false))
            cache.Embed((c, m) => parts[c, m] = pass.Forward(Slice(tokens[c], cache.Chunk(m))));
        var embeddings = Enumerable.Range(0, cols).Select(c => EmbeddingBatch.Concat([.. Enumerable.Range(0, cache.Chunks).Select(m => parts[c, m])])).ToArray();
        var grads = embeddings.Select(e => new EmbeddingBatch(e.Rows, e.Dim)).ToArray();
        var inner = MultipleNegativesRankingLoss.For(innerFor(batch), batch); // a no_in_batch_neg data set's batch: own rows only
        float loss = LossParameterGradients.Scaled(Inner ?? inner, gradientScale / (double)encoder.Communicator.Size,
            () => AcrossRanks.Compute(inner, encoder.Communicator, embeddings, batch.Labels, grads));
        cache.Replay((c, m) =>
        {
            var (start, count) = cache.Chunk(m);
            using var pass = encoder.BeginPass(record: true);
            pass.Forward(Slice(tokens[c], (start, count)));
            pass.Backward([grads[c].SliceRows(start, count)], gradientScale);
        });
        return loss;
    }

    private static ModelInputs Slice(ModelInputs all, (int Start, int Count) chunk) => all.Slice(chunk.Start, chunk.Count);
}
