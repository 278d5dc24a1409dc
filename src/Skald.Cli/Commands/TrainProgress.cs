using System.Globalization;
using Skald.Cli.Output;
using Skald.Training.Trainer;

namespace Skald.Cli.Commands;

/// <summary>
/// Training progress for <c>skald train</c>: the live bar's description (loss, learning rate, throughput) on a terminal;
/// one plain log line per logging step when stderr is redirected; nothing with <c>--quiet</c>.
/// </summary>
internal sealed class TrainProgress(int loggingSteps, bool quiet)
{
    /// <summary>The bar of the running trainer (set once training starts).</summary>
    public ProgressView? View { get; set; }

    public void Report(TrainingProgress p)
    {
        if (quiet) return;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch:F2} loss {p.Loss:F4} lr {p.LearningRate:0.00e+00} {p.SamplesPerSecond:F1} samples/s");
        if (View is { IsLive: true } view)
            view.Report(p.Step, p.TotalSteps, string.Create(CultureInfo.InvariantCulture, $"loss {p.Loss:F4} lr {p.LearningRate:0.00e+00} {p.SamplesPerSecond:F1}/s"));
        else if (p.Step % loggingSteps == 0 || p.Step == p.TotalSteps)
            Console.Error.WriteLine($"{line} eta {Eta(p.Eta)}");
    }

    private static string Eta(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";
}
