using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// Base of the losses that embed every column with one recorded pass of the model, compute an
/// <see cref="IEmbeddingLoss"/> and backpropagate d(loss)/d(embeddings) · gradientScale.
/// </summary>
public abstract class EmbeddingLoss : ILoss, IEmbeddingLoss
{
    /// <inheritdoc cref="IEmbeddingLoss.Name" />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients);

    /// <inheritdoc />
    public bool SpansRanks => true;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f) =>
        ComputeAndBackward(this, model, batch, gradientScale);

    /// <summary>
    /// Forward every column (one recorded pass), the embedding loss, and the backward pass. Under data parallelism the
    /// batch is this rank's shard and the loss is computed over every rank's embeddings (<see cref="AcrossRanks"/>).
    /// </summary>
    public static float ComputeAndBackward(IEmbeddingLoss loss, ITrainableModel model, TrainingBatch batch,
        float gradientScale = 1f)
    {
        var encoder = AsEncoder(model);
        CheckBatch(batch);
        loss = MultipleNegativesRankingLoss.For(loss, batch); // a no_in_batch_neg data set's batch: own rows only
        using var pass = encoder.BeginPass(record: true);
        var columns = batch.Columns.Select((_, i) => pass.Forward(encoder.Prepare(batch, i))).ToArray();
        var grads = columns.Select(c => new EmbeddingBatch(c.Rows, c.Dim)).ToArray();
        float value = LossParameterGradients.Scaled(loss, gradientScale / (double)encoder.Communicator.Size,
            () => AcrossRanks.Compute(loss, encoder.Communicator, columns, batch.Labels, grads));
        pass.Backward(grads, gradientScale);
        return value;
    }

    internal static TrainableEncoder AsEncoder(ITrainableModel model) => model as TrainableEncoder
        ?? throw new ArgumentException($"the losses train a {nameof(TrainableEncoder)}, not a {model.GetType().Name}", nameof(model));

    internal static void CheckBatch(TrainingBatch batch)
    {
        if (batch.Columns.Count == 0 || batch.Count == 0) throw new ArgumentException("empty batch", nameof(batch));
        foreach (var c in batch.Columns)
        {
            if (c.Count != batch.Count) throw new ArgumentException("columns have different numbers of rows", nameof(batch));
        }
        if (batch.Labels is { } l && (l.Count == 0 || l.Count % batch.Count != 0))
            throw new ArgumentException($"{l.Count} labels for {batch.Count} rows", nameof(batch));
    }

    internal static void RequireColumns(IReadOnlyList<EmbeddingBatch> columns, int min, int? max, string name)
    {
        if (columns.Count < min || (max is { } m && columns.Count > m))
            throw new ArgumentException($"{name} needs {(max == min ? $"{min}" : max is null ? $"at least {min}" : $"{min}..{max}")} input columns, got {columns.Count}");
    }
}
