namespace Skald.Models;

/// <summary>
/// What the instances made from one loaded model share (<see cref="SentenceEncoder.WithAttention"/>,
/// <see cref="SentenceEncoder.AsSparse"/>, <see cref="SentenceEncoder.AsCsr"/> share its transformer): whether it is
/// disposed, and every instance whose file-backed weights close when it is. Thread-safe.
/// </summary>
internal sealed class SentenceEncoderLifetime
{
    private readonly List<SentenceEncoder> members = [];
    private int ended;

    /// <summary>Whether any of the instances was disposed.</summary>
    public bool Ended => Volatile.Read(ref ended) != 0;

    /// <summary>Adds an instance that shares the weights.</summary>
    public void Join(SentenceEncoder member)
    {
        lock (members) members.Add(member);
    }

    /// <summary>Ends the lifetime once: the instances sharing it, or none when it had already ended.</summary>
    public IReadOnlyList<SentenceEncoder> End()
    {
        if (Interlocked.Exchange(ref ended, 1) != 0) return [];
        lock (members) return [.. members];
    }
}
