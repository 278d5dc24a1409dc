using Skald.Models;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// GradCache (Gao et al. 2021, sentence-transformers' Cached* losses) around any <see cref="IEmbeddingLoss"/>: embed
/// every column in mini-batches without recording, compute the loss and d(loss)/d(embeddings) over the full batch,
/// then re-run each mini-batch with recording and backpropagate its slice of the cached gradients. The generator
/// state is saved before each mini-batch in the first pass and restored for its second pass (ST's RandContext), so
/// dropout masks match; afterwards the generator continues from where the first pass left it. Gradients equal the
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
        var starts = Enumerable.Range(0, (rows + MiniBatchSize - 1) / MiniBatchSize).Select(i => i * MiniBatchSize).ToArray();
        var states = new ulong[cols, starts.Length][];
        var embeddings = new EmbeddingBatch[cols];
        using (var pass = encoder.BeginPass(record: false))
        {
            for (int c = 0; c < cols; c++)
            {
                var parts = new List<EmbeddingBatch>();
                for (int m = 0; m < starts.Length; m++)
                {
                    states[c, m] = encoder.Random.SaveState();
                    parts.Add(pass.Forward(Slice(tokens[c], starts[m])));
                }
                embeddings[c] = EmbeddingBatch.Concat(parts);
            }
        }
        var after = encoder.Random.SaveState();
        var grads = embeddings.Select(e => new EmbeddingBatch(e.Rows, e.Dim)).ToArray();
        var inner = MultipleNegativesRankingLoss.For(innerFor(batch), batch); // a no_in_batch_neg data set's batch: own rows only
        float loss = LossParameterGradients.Scaled(Inner ?? inner, gradientScale / (double)encoder.Communicator.Size,
            () => AcrossRanks.Compute(inner, encoder.Communicator, embeddings, batch.Labels, grads));
        for (int c = 0; c < cols; c++)
        {
            for (int m = 0; m < starts.Length; m++)
            {
                encoder.Random.RestoreState(states[c, m]);
                var slice = Slice(tokens[c], starts[m]);
                using var pass = encoder.BeginPass(record: true);
                pass.Forward(slice);
                pass.Backward([grads[c].SliceRows(starts[m], slice.Count)], gradientScale);
            }
        }
        encoder.Random.RestoreState(after);
        return loss;
    }

    private ModelInputs Slice(ModelInputs all, int start) => all.Slice(start, Math.Min(MiniBatchSize, all.Count - start));
}
