using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Optim;

namespace Skald.Training.Trainer;

/// <summary>Global L2 norm of gradients, then (when above <c>maxNorm</c>) scaling so it equals <c>maxNorm</c>; returns the norm before clipping.</summary>
public delegate float GradientClipper(IReadOnlyList<Parameter> parameters, float maxNorm);

/// <summary>Everything a run needs, already built: model, objective, optimiser, data, evaluators and the config.</summary>
public sealed record TrainerSetup
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

    /// <summary>Evaluators run every <c>evaluation.steps</c> and at the end.</summary>
    public IReadOnlyList<IEvaluator> Evaluators { get; init; } = [];

    /// <summary>The run's settings.</summary>
    public required TrainingConfig Config { get; init; }

    /// <summary>Per-step progress (for a progress bar).</summary>
    public Action<TrainingProgress>? Progress { get; init; }

    /// <summary>One-line notes (resuming, checkpoint written, best model).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>Progress after an optimiser step.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Epoch">Progress in epochs.</param>
/// <param name="Loss">Mean loss of the current logging window (or the last one).</param>
/// <param name="LearningRate">Rate of the last update.</param>
/// <param name="SamplesPerSecond">Training rows per second in this process.</param>
/// <param name="Eta">Estimated time left.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, double Epoch, double Loss, float LearningRate,
    double SamplesPerSecond, TimeSpan Eta);

/// <summary>What a finished run produced.</summary>
/// <param name="ModelPath">The saved sentence-transformers folder.</param>
/// <param name="Steps">Optimiser steps done.</param>
/// <param name="ResumedFrom">The checkpoint it resumed from, if any.</param>
/// <param name="FinalMetrics">Metrics of the last evaluation.</param>
/// <param name="BestMetricName">Metric that selected the best model, if any.</param>
/// <param name="BestMetric">Its best value.</param>
/// <param name="BestStep">Step of the best value.</param>
public sealed record TrainingResult(string ModelPath, int Steps, string? ResumedFrom,
    IReadOnlyDictionary<string, double> FinalMetrics, string? BestMetricName, double? BestMetric, int? BestStep);
