using Spectre.Console;

namespace Skald.Cli.Output;

/// <summary>
/// Progress of one long job: a Spectre.Console bar (description, bar, percentage, elapsed and remaining time) on stderr
/// when it is a terminal; when it is not, or with <c>--quiet</c>, nothing is drawn and <see cref="IsLive"/> is false,
/// so the caller can print plain log lines instead.
/// </summary>
internal sealed class ProgressView
{
    private readonly ProgressTask? task;
    private readonly string label;

    private ProgressView(string label, ProgressTask? task)
    {
        this.label = label;
        this.task = task;
    }

    /// <summary>True when a bar is drawn.</summary>
    public bool IsLive => task is not null;

    /// <summary>Runs <paramref name="work"/> with a bar labelled <paramref name="label"/> (only if <paramref name="show"/> and stderr is a terminal).</summary>
    public static T Run<T>(string label, bool show, bool quiet, Func<ProgressView, T> work)
    {
        if (!show || Terminal.Stderr(quiet) is not { } console) return work(new ProgressView(label, null));
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), autoStart: true, maxValue: 1);
                var result = work(new ProgressView(label, task));
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });
    }

    /// <summary><paramref name="done"/> of <paramref name="total"/>; <paramref name="detail"/> (loss, rate, ...) goes beside the label.</summary>
    public void Report(long done, long total, string? detail = null)
    {
        if (task is null) return;
        task.MaxValue = Math.Max(1, total);
        task.Value = Math.Min(done, total);
        if (detail is not null) task.Description = Markup.Escape($"{label} {detail}");
    }
}
