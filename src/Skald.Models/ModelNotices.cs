namespace Skald.Models;

/// <summary>
/// Where loading a model says what it did not do but was not an error, one line each (adapter tensors of modules outside
/// an adapter's target_modules left unmerged by <see cref="Adapters.PeftAdapters"/>):
/// to the callback <see cref="Route"/> set for the calling flow (the thread and the tasks and timers it starts), or
/// nowhere. A library writes nothing to the console itself; the CLI routes them to its log, silenced by <c>--quiet</c>.
/// </summary>
public static class ModelNotices
{
    private static readonly AsyncLocal<Action<string>?> Current = new();

    /// <summary>
    /// Sends the notices of loads made on the calling flow to <paramref name="notice"/> until the returned scope is
    /// disposed (then the callback routed before, if any, again).
    /// </summary>
    public static IDisposable Route(Action<string> notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var previous = Current.Value;
        Current.Value = notice;
        return new Scope(previous);
    }

    /// <summary>Hands <paramref name="message"/> to the callback routed for the calling flow; without one, drops it.</summary>
    public static void Report(string message) => Current.Value?.Invoke(message);

    private sealed class Scope(Action<string>? previous) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            Current.Value = previous;
        }
    }
}
