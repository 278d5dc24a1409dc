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

    // The instances taking over Ctrl-C now, for Takes.
    private static readonly List<GracefulStop> Live = [];

    /// <summary>
    /// Takes over Ctrl-C until disposed; <paramref name="notice"/> is printed to stderr on the first one. With
    /// <paramref name="inFlight"/>, only while it says work worth finishing is under way: a Ctrl-C at any other moment
    /// ends the process at once, as usual.
    /// </summary>
    public GracefulStop(string notice, Func<bool>? inFlight = null)
    {
        this.notice = notice;
        this.inFlight = inFlight;
        lock (Live) Live.Add(this);
        Console.CancelKeyPress += OnCancelKeyPress;
    }

    /// <summary>
    /// Whether a Ctrl-C now would be taken by a live instance (its first, while its work is in flight) rather than end
    /// the process: a handler that says where a run stopped (<c>skald pipeline</c>'s) stays silent then.
    /// </summary>
    public static bool Takes()
    {
        lock (Live) return Live.Any(g => !g.stop.IsCancellationRequested && g.inFlight?.Invoke() != false);
    }

    /// <summary>Set by the first Ctrl-C.</summary>
    public CancellationToken Token => stop.Token;

    /// <summary>Whether Ctrl-C was pressed.</summary>
    public bool Requested => stop.IsCancellationRequested;

    /// <inheritdoc/>
    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        lock (Live) Live.Remove(this);
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
