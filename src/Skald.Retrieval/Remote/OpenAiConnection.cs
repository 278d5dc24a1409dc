using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using OpenAI;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Skald.Retrieval.Remote;

/// <summary>
/// What every client of an OpenAI-compatible endpoint in Skald shares (chat for <c>skald data generate</c>, embeddings
/// for remote models): the SDK's options with its own retries off, and one Polly pipeline around each call: a
/// per-attempt timeout, and retries with exponential backoff and jitter on 429 (waiting what Retry-After says), 408,
/// 409, 5xx, timeouts and broken connections. Other HTTP errors (400, 401, 404, ...) mean the endpoint, model or key
/// is wrong: they are not retried.
/// </summary>
public static class OpenAiConnection
{
    /// <summary>The official SDK's client options for <paramref name="endpoint"/>: no SDK retries, a network timeout a little above <paramref name="timeout"/>.</summary>
    public static OpenAIClientOptions ClientOptions(Uri endpoint, TimeSpan timeout) => new()
    {
        Endpoint = endpoint,
        RetryPolicy = new ClientRetryPolicy(0),
        NetworkTimeout = timeout + TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// The retry + timeout pipeline: up to <paramref name="maxRetries"/> retries (0: none) starting at
    /// <paramref name="retryDelay"/>, doubled with jitter; <paramref name="alsoRetry"/> adds exception types of the
    /// caller (an unreadable reply); <paramref name="onRetry"/> counts them.
    /// </summary>
    public static ResiliencePipeline Pipeline(int maxRetries, TimeSpan retryDelay, TimeSpan timeout, Action onRetry,
        Func<Exception, bool>? alsoRetry = null)
    {
        var builder = new ResiliencePipelineBuilder();
        if (maxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = maxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retryDelay,
                MaxDelay = TimeSpan.FromMinutes(2),
                ShouldHandle = new PredicateBuilder().Handle<ClientResultException>(IsTransient).Handle<TimeoutRejectedException>()
                    .Handle<HttpRequestException>().Handle<Exception>(e => alsoRetry?.Invoke(e) == true),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is ClientResultException e ? RetryAfter(e) : null),
                OnRetry = _ => { onRetry(); return default; },
            });
        }
        return builder.AddTimeout(timeout).Build();
    }

    /// <summary>Whether an HTTP failure is worth retrying: no connection (status 0), 408, 409, 429 or 5xx.</summary>
    public static bool IsTransient(ClientResultException e) => e.Status is 0 or 408 or 409 or 429 or >= 500;

    /// <summary>The wait a 429/503 reply asks for (Retry-After in seconds or as a date, at most 5 minutes), if any.</summary>
    public static TimeSpan? RetryAfter(ClientResultException e)
    {
        if (e.GetRawResponse()?.Headers is not { } headers || !headers.TryGetValue("Retry-After", out string? value) || value is null) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0)
            return TimeSpan.FromSeconds(Math.Min(s, 300));
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
        {
            var wait = when - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > TimeSpan.FromMinutes(5) ? TimeSpan.FromMinutes(5) : wait;
        }
        return null;
    }

    /// <summary>
    /// The message and code of an OpenAI-style error body (<c>{"error": {"message": ..., "code": ...}}</c>, as OpenAI,
    /// vLLM, llama.cpp and skald serve answer a request they refuse: an input over the context, an unknown model), the
    /// message on one line and at most 300 characters; nulls when the body is not one.
    /// </summary>
    public static (string? Message, string? Code) ServerError(ClientResultException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        try
        {
            string? body = e.GetRawResponse()?.Content?.ToString();
            if (string.IsNullOrEmpty(body)) return (null, null);
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object || !doc.RootElement.TryGetProperty("error", out var error))
                return (null, null);
            bool structured = error.ValueKind == System.Text.Json.JsonValueKind.Object;
            var message = structured && error.TryGetProperty("message", out var m) ? m : error; // some servers answer {"error": "text"}
            string? code = structured && error.TryGetProperty("code", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.String ? c.GetString() : null;
            if (message.ValueKind != System.Text.Json.JsonValueKind.String) return (null, code);
            string text = string.Join(' ', message.GetString()!.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
            return (text.Length == 0 ? null : text.Length <= 300 ? text : text[..300] + "…", code);
        }
        catch (System.Text.Json.JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>True when <paramref name="endpoint"/> is on this machine (then no API key is needed).</summary>
    public static bool IsLocal(Uri endpoint) => endpoint.IsLoopback;
}
