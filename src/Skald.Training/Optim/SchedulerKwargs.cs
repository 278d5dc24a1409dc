namespace Skald.Training.Optim;

/// <summary>
/// The scheduler-specific settings transformers takes as <c>lr_scheduler_kwargs</c> (Skald's
/// <c>training.scheduler_kwargs</c>), named as transformers names them; each kind reads only its own. Null or a negative
/// count means "the kind's default" (see <see cref="LearningRateSchedule"/>).
/// </summary>
public sealed record SchedulerKwargs
{
    /// <summary>Cosine waves over the decay: 0.5 (half a wave) for cosine, cosine_with_min_lr and WSD; 1 for cosine_with_restarts.</summary>
    public double? NumCycles { get; init; }

    /// <summary>polynomial: the exponent of the decay (1 is linear).</summary>
    public double Power { get; init; } = 1;

    /// <summary>polynomial: the absolute rate reached at the last step (below the peak rate).</summary>
    public double LrEnd { get; init; } = 1e-7;

    /// <summary>cosine_with_min_lr: the floor as a fraction of the peak rate (set from <c>min_lr</c> / peak when that is given).</summary>
    public double MinLrRate { get; init; }

    /// <summary>inverse_sqrt: the time scale in steps; 0 means the warm-up steps, or 10000 without warm-up.</summary>
    public int Timescale { get; init; }

    /// <summary>warmup_stable_decay: steps at the peak rate; negative means all steps not warming up or decaying.</summary>
    public int NumStableSteps { get; init; } = -1;

    /// <summary>warmup_stable_decay: steps of the final decay.</summary>
    public int NumDecaySteps { get; init; }

    /// <summary>warmup_stable_decay: the warm-up curve, <c>linear</c>, <c>cosine</c> or <c>1-sqrt</c>.</summary>
    public string WarmupType { get; init; } = "linear";

    /// <summary>warmup_stable_decay: the decay curve, <c>linear</c>, <c>cosine</c> or <c>1-sqrt</c>.</summary>
    public string DecayType { get; init; } = "cosine";

    /// <summary>warmup_stable_decay: the rate the warm-up starts from and the decay ends at, as a fraction of the peak.</summary>
    public double MinLrRatio { get; init; }

    /// <summary>
    /// The settings schedule <paramref name="kind"/> runs with, named as transformers' lr_scheduler_kwargs (defaults
    /// filled in; an unset inverse_sqrt time scale and WSD stable-step count left out, as the schedule derives them):
    /// what the model card lists. Empty for the kinds that take none.
    /// </summary>
    public IReadOnlyList<(string Name, object Value)> For(string kind) => kind switch
    {
        "cosine" => [("num_cycles", NumCycles ?? 0.5)],
        "cosine_with_restarts" => [("num_cycles", (int)(NumCycles ?? 1))],
        "polynomial" => [("lr_end", LrEnd), ("power", Power)],
        "cosine_with_min_lr" => [("num_cycles", NumCycles ?? 0.5), ("min_lr_rate", MinLrRate)],
        "inverse_sqrt" => Timescale > 0 ? [("timescale", Timescale)] : [],
        "warmup_stable_decay" => [.. NumStableSteps >= 0 ? [("num_stable_steps", (object)NumStableSteps)] : Array.Empty<(string, object)>(),
            ("num_decay_steps", NumDecaySteps), ("warmup_type", WarmupType), ("decay_type", DecayType), ("min_lr_ratio", MinLrRatio),
            ("num_cycles", NumCycles ?? 0.5)],
        _ => [],
    };
}
