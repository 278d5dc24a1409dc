using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Optim;

namespace Skald.Training.Trainer;

/// <summary>What a finished run produced.</summary>
/// <param name="ModelPath">The saved sentence-transformers folder.</param>
/// <param name="Steps">Optimiser steps done.</param>
/// <param name="ResumedFrom">The checkpoint it resumed from, if any.</param>
/// <param name="FinalMetrics">Metrics of the saved model: the last evaluation, or with load_best_model_at_end the best one.</param>
/// <param name="BestMetricName">Metric that selected the best model, if any.</param>
/// <param name="BestMetric">Its best value.</param>
/// <param name="BestStep">Step of the best value.</param>
public sealed record TrainingResult(string ModelPath, int Steps, string? ResumedFrom,
    IReadOnlyDictionary<string, double> FinalMetrics, string? BestMetricName, double? BestMetric, int? BestStep);
