namespace Skald.Retrieval.Remote;

/// <summary>
/// The token one call of the retry pipeline (<see cref="OpenAiConnection.Pipeline"/>) runs under when a stop (Ctrl-C)
/// must end it between attempts but never during one: once <c>stop</c> is set, an attempt already sent runs to its end
/// (its reply is kept), no attempt is started, and a retry's backoff under way ends at once instead of being waited
/// out (the pipeline's delay waits on <see cref="Token"/>, which is cancelled then; a backoff of a long Retry-After
/// kept a stopped run waiting for minutes, only to send nothing). Each attempt is bracketed by
/// <see cref="TryBegin"/> and <see cref="End"/>. Cancelling <c>cancel</c> cancels <see cref="Token"/> at any time.
/// </summary>
public sealed class AttemptStop : IDisposable
{
    private readonly CancellationToken stop;
    private readonly CancellationTokenSource source;
    private readonly CancellationTokenRegistration onStop;
    private int sending;

    /// <summary>A call stopped between attempts by <paramref name="stop"/>, and at once by <paramref name="cancel"/>.</summary>
    public AttemptStop(CancellationToken stop, CancellationToken cancel)
    {
        this.stop = stop;
        source = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        onStop = stop.Register(() =>
        {
            if (Volatile.Read(ref sending) == 0) Cancel(); // waiting (a backoff) or between attempts: end it now
        });
    }

    /// <summary>The token to run the pipeline call under.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>Whether the stop was requested.</summary>
    public bool Stopping => stop.IsCancellationRequested;

    /// <summary>
    /// Marks an attempt as under way; false (nothing marked) when stopping, and then the attempt must not be sent. A stop
    /// requested after this returned true waits for <see cref="End"/>.
    /// </summary>
    public bool TryBegin()
    {
        Interlocked.Exchange(ref sending, 1);
        if (!stop.IsCancellationRequested) return true;
        End();
        return false;
    }

    /// <summary>Marks the attempt as over; when stopping, the call's token is cancelled (no backoff is waited).</summary>
    public void End()
    {
        Interlocked.Exchange(ref sending, 0);
        if (stop.IsCancellationRequested) Cancel();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        onStop.Dispose(); // waits for a callback under way, so the source is not cancelled once disposed
        source.Dispose();
    }

    private void Cancel()
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the call is over
        }
    }
}
