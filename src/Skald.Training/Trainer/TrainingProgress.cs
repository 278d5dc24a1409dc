using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Optim;

namespace Skald.Training.Trainer;

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
