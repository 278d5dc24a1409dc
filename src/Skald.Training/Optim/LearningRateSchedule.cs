namespace Skald.Training.Optim;

/// <summary>
/// Learning rate per optimiser step, as transformers' schedulers (optimization.py, huggingface/transformers at
/// 005edacb6b5dabbf0843e92c6623de9e07ca6241): <c>linear</c>, <c>cosine</c>, <c>constant</c> (with warm-up: transformers'
/// constant_with_warmup), <c>polynomial</c>, <c>cosine_with_restarts</c>, <c>cosine_with_min_lr</c>,
/// <c>inverse_sqrt</c> and <c>warmup_stable_decay</c>, each a multiplier of <see cref="PeakRate"/> after a linear warm-up
/// from 0 over <c>warmupSteps</c> (WSD's warm-up has its own curve and floor). Stateless: the rate for step <c>s</c>
/// (0-based, the number of updates done before it) depends only on <c>s</c>; nothing is allocated per step.
/// </summary>
public sealed record LearningRateSchedule(string Kind, float PeakRate, int WarmupSteps, int TotalSteps, SchedulerKwargs? Kwargs = null)
{
    private readonly SchedulerKwargs kw = Kwargs ?? new SchedulerKwargs();

    /// <summary>The rate the update with index <paramref name="step"/> uses.</summary>
    public float At(int step) => (float)(PeakRate * Factor(step));

    /// <summary>The multiplier of <see cref="PeakRate"/> for the update with index <paramref name="step"/> (LambdaLR's lambda).</summary>
    public double Factor(int step)
    {
        if (Kind == "warmup_stable_decay") return WarmupStableDecay(step);
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        switch (Kind)
        {
            case "constant":
                return 1;
            case "cosine":
                return Math.Max(0, HalfCosine(Cycles(0.5), progress));
            case "cosine_with_min_lr":
                return Math.Max(0, HalfCosine(Cycles(0.5), progress) * (1 - kw.MinLrRate) + kw.MinLrRate);
            case "cosine_with_restarts":
                // each cycle falls from 1 to 0 and restarts; from the last step on the rate stays 0
                return progress >= 1 ? 0 : Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * (Cycles(1) * progress % 1.0))));
            case "polynomial":
            {
                double end = kw.LrEnd / PeakRate;
                if (step > TotalSteps) return end;
                double remaining = 1 - (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
                return (1 - end) * Math.Pow(remaining, kw.Power) + end;
            }
            case "inverse_sqrt":
            {
                int scale = kw.Timescale > 0 ? kw.Timescale : WarmupSteps > 0 ? WarmupSteps : 10_000;
                return 1 / Math.Sqrt((double)(step + scale - WarmupSteps) / scale);
            }
            default: // linear
                return Math.Max(0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
        }
    }

    private double Cycles(double fallback) => kw.NumCycles ?? fallback;

    // 0.5·(1 + cos(2π·cycles·progress)): half a wave at the default 0.5 cycles
    private static double HalfCosine(double cycles, double progress) => 0.5 * (1 + Math.Cos(Math.PI * cycles * 2 * progress));

    private double WarmupStableDecay(int step)
    {
        double floor = kw.MinLrRatio;
        if (step < WarmupSteps)
        {
            double p = (double)step / Math.Max(1, WarmupSteps);
            double rise = kw.WarmupType switch { "cosine" => 0.5 * (1 - Math.Cos(Math.PI * p)), "1-sqrt" => 1 - Math.Sqrt(1 - p), _ => p };
            return Math.Max(0, rise * (1 - floor) + floor);
        }
        int stable = kw.NumStableSteps >= 0 ? kw.NumStableSteps : TotalSteps - WarmupSteps - kw.NumDecaySteps;
        if (step < WarmupSteps + stable) return 1;
        if (step < WarmupSteps + stable + kw.NumDecaySteps)
        {
            double p = (double)(step - WarmupSteps - stable) / Math.Max(1, kw.NumDecaySteps);
            double fall = kw.DecayType switch { "linear" => 1 - p, "1-sqrt" => 1 - Math.Sqrt(p), _ => HalfCosine(Cycles(0.5), p) };
            return Math.Max(0, fall * (1 - floor) + floor);
        }
        return floor;
    }
}
