using System.Globalization;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Training.Config;

namespace Skald.Training.Trainer;

/// <summary>What a checkpoint folder holds, read back.</summary>
/// <param name="Path">The folder.</param>
/// <param name="State">trainer_state.json.</param>
/// <param name="Weights">Parameter values by name.</param>
/// <param name="OptimizerState">Optimiser tensors by name.</param>
public sealed record LoadedCheckpoint(string Path, TrainerState State, IReadOnlyDictionary<string, float[]> Weights,
    IReadOnlyDictionary<string, float[]> OptimizerState);
