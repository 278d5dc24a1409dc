using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// The embedding-level part of a loss: sentence embeddings of each input column in, the loss value and
/// d(loss)/d(embeddings) out. Model forward/backward is left to a wrapper (<see cref="EmbeddingLoss"/>, GradCache),
/// so every embedding loss also works inside <see cref="MatryoshkaLoss"/> and <see cref="CachedLoss"/>.
/// </summary>
public interface IEmbeddingLoss
{
    /// <summary>Name as in the config.</summary>
    string Name { get; }

    /// <summary>
    /// Loss over one batch. <paramref name="columns"/>: one [rows, dim] matrix per input column;
    /// <paramref name="gradients"/>: matrices of the same shapes, OVERWRITTEN with d(loss)/d(columns).
    /// </summary>
    float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels, IReadOnlyList<EmbeddingBatch> gradients);
}
