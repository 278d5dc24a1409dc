using System.Collections.Concurrent;
using Skald.Tokenizers.Serialization;

namespace Skald.Retrieval.Remote;

/// <summary>
/// The retries of one client, counted by reason (<see cref="OpenAiConnection.RetryReason"/>: "HTTP 429", "timeout",
/// "connection refused", "no usable answer", ...), for progress lines that say what the retries were for: "3 retries (2
/// HTTP 429, 1 timeout)". Thread-safe.
/// </summary>
public sealed class RetryTally
{
    private readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);
    private int total;

    /// <summary>Retries so far.</summary>
    public int Total => Volatile.Read(ref total);

    /// <summary>Counts one retry for <paramref name="reason"/>.</summary>
    public void Add(string reason)
    {
        counts.AddOrUpdate(reason, 1, (_, n) => n + 1);
        Interlocked.Increment(ref total);
    }

    /// <summary>"no retries", or the count and its reasons, most frequent first: "3 retries (2 HTTP 429, 1 timeout)".</summary>
    public override string ToString()
    {
        var reasons = counts.ToArray();
        int n = reasons.Sum(r => r.Value);
        if (n == 0) return "no retries";
        return $"{Counted.Of(n, "retry", "retries")} ({string.Join(", ", reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Value} {r.Key}"))})";
    }
}
