using Skald.Distributed;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Optim;

namespace Skald.Training.Trainer;

/// <summary>
/// Everything a run needs, already built: model, objective, optimiser, data, evaluators and the config. Disposing it
/// releases the frozen models its loss consults (<see cref="FrozenModels"/>; copies made with <c>with</c> share them) and
/// the model and evaluators it loaded (<see cref="OwnsModel"/>): dispose it once the run is done.
/// </summary>
public sealed record TrainerSetup : IDisposable
{
    /// <summary>The model being trained.</summary>
    public required ITrainableModel Model { get; init; }

    /// <summary>The objective.</summary>
    public required ILoss Loss { get; init; }

    /// <summary>The optimiser over <c>Model.Parameters</c>.</summary>
    public required IOptimizer Optimizer { get; init; }

    /// <summary>Gradient clipping (the core's <c>GradientClipping.ClipGlobalNorm</c>).</summary>
    public required GradientClipper Clip { get; init; }

    /// <summary>Training datasets (batches never mix datasets).</summary>
    public required IReadOnlyList<TextDataset> Train { get; init; }

    /// <summary>
    /// Per training data set, the training prompt of each of its columns (<c>training.prompts</c>; null: none), which
    /// each of its batches carries (<see cref="TrainingBatch.Prompts"/>); null: no prompts.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string?>?>? Prompts { get; init; }

    /// <summary>Evaluators run every <c>evaluation.steps</c> and at the end.</summary>
    public IReadOnlyList<IEvaluator> Evaluators { get; init; } = [];

    /// <summary>The run's settings.</summary>
    public required TrainingConfig Config { get; init; }

    /// <summary>Per-step progress (for a progress bar).</summary>
    public Action<TrainingProgress>? Progress { get; init; }

    /// <summary>
    /// The data-parallel group (<c>mpirun -np N skald train</c>): each rank trains on its shard of every batch, the
    /// gradients are summed across ranks, and only rank 0 logs, evaluates and writes. <see cref="SingleProcess"/> by default.
    /// </summary>
    public ICommunicator Communicator { get; init; } = SingleProcess.Instance;

    /// <summary>Called on rank 0 after each checkpoint is written (the CLI pushes it, or the model, to the hub).</summary>
    public Action<SavedCheckpoint>? CheckpointSaved { get; init; }

    /// <summary>One-line notes (resuming, checkpoint written, best model).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The frozen models the loss consults (a teacher, a guide), disposed with this setup; null: none.</summary>
    public FrozenModels? FrozenModels { get; init; }

    /// <summary>
    /// Whether <see cref="Dispose"/> disposes <see cref="Model"/>'s encoder, <see cref="Loss"/> and <see cref="Evaluators"/>
    /// (those disposable: an mse task's teacher) too: a setup <see cref="TrainingRun"/> built loaded them, so it owns them;
    /// a setup built in code over a model given to it does not.
    /// </summary>
    public bool OwnsModel { get; init; }

    /// <summary>
    /// Disposes <see cref="FrozenModels"/> and, when it owns them (<see cref="OwnsModel"/>), the encoder of
    /// <see cref="Model"/>, the loss and the evaluators (none can run afterwards; what was saved stays); disposing twice
    /// does nothing.
    /// </summary>
    public void Dispose()
    {
        FrozenModels?.Dispose();
        if (!OwnsModel) return;
        if (Model is Modeling.TrainableEncoder encoder) encoder.Model.Dispose();
        (Loss as IDisposable)?.Dispose(); // what the loss loaded for itself (contrastive tension's copy of the model)
        Release(Evaluators);
    }

    /// <summary>Disposes those of <paramref name="evaluators"/> that hold what they loaded (an mse task's teacher).</summary>
    internal static void Release(IEnumerable<IEvaluator> evaluators)
    {
        foreach (var e in evaluators) (e as IDisposable)?.Dispose();
    }
}
