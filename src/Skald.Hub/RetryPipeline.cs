using System.Globalization;
using Polly;
using Polly.Retry;

namespace Skald.Hub;

/// <summary>
/// The one retry pipeline of Skald's HTTP clients: the hub's routes (<see cref="HubClient"/>) and every client of an
/// OpenAI-compatible endpoint (<c>Skald.Retrieval.Remote.OpenAiConnection</c>). Up to a number of retries of what the
/// client's rule says is transient, waiting exponentially longer from a first delay, with jitter, at most
/// <see cref="MaxDelay"/>, or what the server's Retry-After asks (<see cref="RetryAfter"/>); then, for a client that
/// gives one, a timeout of each attempt. What is retried, what a retry is counted as, and how long the server asks to
/// wait are the client's: one builder, each client's rule.
/// </summary>
public static class RetryPipeline
{
    /// <summary>The longest wait between two attempts the backoff reaches (a Retry-After may ask up to five minutes).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A call's own listener of the wait before each of its retries (set in the call's <see cref="ResilienceContext"/>):
    /// an upload's stall timer is put off by the wait, so a Retry-After longer than the stall limit is waited, not
    /// taken for a stall.
    /// </summary>
    public static readonly ResiliencePropertyKey<Action<TimeSpan>> Waiting = new("skald.retry.waiting");

    /// <summary>
    /// A pipeline of up to <paramref name="maxRetries"/> retries (0: none) of the attempts whose outcome (an exception,
    /// or a result such as an HTTP answer) <paramref name="retried"/> accepts, the first after <paramref name="delay"/>,
    /// each later one about twice as long (with jitter), unless <paramref name="wait"/> gives the wait the server asked
    /// for; <paramref name="retrying"/> hears each outcome retried (to count it, or to release an answer not used), and
    /// <paramref name="attemptTimeout"/>, when given, limits each attempt.
    /// </summary>
    public static ResiliencePipeline Build(int maxRetries, TimeSpan delay, Func<Outcome<object>, bool> retried,
        Func<Outcome<object>, TimeSpan?>? wait = null, Action<Outcome<object>>? retrying = null, TimeSpan? attemptTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(retried);
        var builder = new ResiliencePipelineBuilder();
        if (maxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = maxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = delay,
                MaxDelay = MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(retried(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(wait?.Invoke(args.Outcome)),
                OnRetry = args =>
                {
                    retrying?.Invoke(args.Outcome);
                    if (args.Context.Properties.TryGetValue(Waiting, out var waiting)) waiting(args.RetryDelay);
                    return default;
                },
            });
        }
        if (attemptTimeout is { } timeout) builder.AddTimeout(timeout);
        return builder.Build();
    }

    /// <summary>
    /// The wait a Retry-After header's <paramref name="value"/> asks for (seconds, or an HTTP date), at most five
    /// minutes; null when there is none or it is neither.
    /// </summary>
    public static TimeSpan? RetryAfter(string? value)
    {
        if (value is null) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0)
            return TimeSpan.FromSeconds(Math.Min(s, 300));
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
        {
            var left = when - DateTimeOffset.UtcNow;
            return left < TimeSpan.Zero ? TimeSpan.Zero : left > TimeSpan.FromMinutes(5) ? TimeSpan.FromMinutes(5) : left;
        }
        return null;
    }
}
