using Skald.Models.Checkpoints;

namespace Skald.Training.Optim;

/// <summary>
/// What the trainer needs from an optimiser: an update with a given learning rate over the parameters' gradients, and
/// its state as named tensors for checkpoints (restoring it must continue bit-for-bit).
/// </summary>
public interface IOptimizer
{
    /// <summary>Updates done so far.</summary>
    long StepCount { get; }

    /// <summary>One update with learning rate <paramref name="learningRate"/>.</summary>
    void Step(float learningRate);

    /// <summary>The state (moments etc.) as named float tensors.</summary>
    IReadOnlyList<TensorToWrite> ExportState();

    /// <summary>Restores a state from <see cref="ExportState"/> (tensors by name) and the update count.</summary>
    void ImportState(IReadOnlyDictionary<string, float[]> state, long stepCount);
}
