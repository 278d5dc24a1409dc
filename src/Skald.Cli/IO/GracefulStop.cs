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
    private readonly Func<bool>? inFlight;

    /// <summary>
    /// Takes over Ctrl-C until disposed; <paramref name="notice"/> is printed to stderr on the first one. With
    /// <paramref name="inFlight"/>, only while it says work worth finishing is under way: a Ctrl-C at any other moment
    /// ends the process at once, as usual.
    /// </summary>
    public GracefulStop(string notice, Func<bool>? inFlight = null)
    {
        this.notice = notice;
        this.inFlight = inFlight;
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
        if (inFlight?.Invoke() == false) return; // nothing to finish: end the process
        e.Cancel = true;
        Console.Error.WriteLine(notice);
        stop.Cancel();
    }
}
