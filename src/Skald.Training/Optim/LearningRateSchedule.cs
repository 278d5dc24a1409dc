namespace Skald.Training.Optim;

/// <summary>
/// Learning rate per optimiser step, as Hugging Face's schedulers (<c>get_linear_schedule_with_warmup</c>,
/// <c>get_cosine_schedule_with_warmup</c>, <c>get_constant_schedule_with_warmup</c>): linear warm-up from 0 over
/// <c>warmupSteps</c>, then linear decay to 0 at <c>totalSteps</c>, half a cosine to 0, or constant. Stateless: the
/// rate for step <c>s</c> (0-based, the number of updates done before it) depends only on <c>s</c>.
/// </summary>
public sealed record LearningRateSchedule(string Kind, float PeakRate, int WarmupSteps, int TotalSteps)
{
    /// <summary>The rate the update with index <paramref name="step"/> uses.</summary>
    public float At(int step)
    {
        if (step < WarmupSteps) return PeakRate * step / Math.Max(1, WarmupSteps);
        if (Kind == "constant") return PeakRate;
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        double factor = Kind == "cosine"
            ? Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress)))
            : Math.Max(0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
        return (float)(PeakRate * factor);
    }
}
