namespace Skald.Retrieval.Remote;

/// <summary>
/// Ctrl-C for the remote embedding clients of one command (<see cref="RemoteEmbeddingSettings.Stop"/>): once
/// <see cref="Token"/> is set, they send no further request and end a retry's backoff at once (an
/// <see cref="OperationCanceledException"/>), while a request already sent finishes, so its vectors reach the cache.
/// It also counts the embedding calls under way (<see cref="Work"/>): a command drains on Ctrl-C only while
/// <see cref="Working"/>; at any other moment (a local model encoding, scores being computed) there is nothing in flight
/// to wait for, and Ctrl-C ends the process at once.
/// </summary>
public sealed class RemoteStop(CancellationToken token)
{
    private int working;

    /// <summary>Set by the first Ctrl-C.</summary>
    public CancellationToken Token { get; } = token;

    /// <summary>Whether a remote model is embedding now.</summary>
    public bool Working => Volatile.Read(ref working) > 0;

    /// <summary>Marks an embedding call as under way until the result is disposed.</summary>
    public IDisposable Work()
    {
        Interlocked.Increment(ref working);
        return new Call(this);
    }

    private sealed class Call(RemoteStop owner) : IDisposable
    {
        private int done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0) Interlocked.Decrement(ref owner.working);
        }
    }
}
