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
}
