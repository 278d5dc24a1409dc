namespace Skald.Cli.IO;

/// <summary>
/// Ctrl-C (SIGINT) for a command whose work in flight is worth finishing: the first one prints
/// <c>notice</c> and sets <see cref="Token"/> instead of ending the process, so the command can save what is under way
/// and exit; a second one ends the process at once, as usual.
/// </summary>
internal sealed class GracefulStop : IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly string notice;

    /// <summary>Takes over Ctrl-C until disposed; <paramref name="notice"/> is printed to stderr on the first one.</summary>
    public GracefulStop(string notice)
    {
        this.notice = notice;
        Console.CancelKeyPress += OnCancelKeyPress;
    }

    /// <summary>Set by the first Ctrl-C.</summary>
    public CancellationToken Token => stop.Token;

    /// <summary>Whether Ctrl-C was pressed.</summary>
    public bool Requested => stop.IsCancellationRequested;

    /// <inheritdoc/>
    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        stop.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (stop.IsCancellationRequested) return; // the second: end the process
        e.Cancel = true;
        Console.Error.WriteLine(notice);
        stop.Cancel();
    }
}
