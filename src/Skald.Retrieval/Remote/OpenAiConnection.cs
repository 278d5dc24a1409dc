using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Sockets;
using OpenAI;
using Polly;
using Polly.Timeout;

namespace Skald.Retrieval.Remote;

/// <summary>
/// What every client of an OpenAI-compatible endpoint in Skald shares: chat for <c>skald data generate</c> and
/// <c>translate</c> and the LLM judge (<c>LlmQuestionClient</c>), and embeddings for remote models. It provides the
/// SDK's options with its own retries off and an <see cref="EndpointHandler"/> of the client's own underneath, and one
/// Polly pipeline around each call (Skald's one retry pipeline, <see cref="Skald.Hub.RetryPipeline"/>, with this rule). The pipeline has a per-attempt timeout, and retries with exponential backoff and
/// jitter on 429 (waiting what Retry-After says), 408, 409, 5xx, timeouts, broken connections and unusable replies.
/// One rule for every client decides what is not retried. Other HTTP errors (400, 401, 403, 404, ...) mean the
/// endpoint, model or key is wrong. A connection that cannot be made before the endpoint has ever answered (refused,
/// a host name that does not resolve) means a wrong address (<see cref="UnreachableEndpointException"/>). The same
/// failure after an answer means a server that is restarting, and it is retried.
/// </summary>
public static class OpenAiConnection
{
    /// <summary>
    /// The official SDK's client options for <paramref name="endpoint"/>: no SDK retries, a network timeout a little
    /// above <paramref name="timeout"/>, and a transport over an <see cref="EndpointHandler"/> of its own (one per
    /// client, which lives as long as the client: it decides what is not retried, and keeps no connection the server closes).
    /// </summary>
    public static OpenAIClientOptions ClientOptions(Uri endpoint, TimeSpan timeout) => new()
    {
        Endpoint = endpoint,
        RetryPolicy = new ClientRetryPolicy(0),
        NetworkTimeout = timeout + TimeSpan.FromSeconds(5),
        Transport = new HttpClientPipelineTransport(new HttpClient(new EndpointHandler()) { Timeout = Timeout.InfiniteTimeSpan }),
    };

    /// <summary>
    /// The retry + timeout pipeline: up to <paramref name="maxRetries"/> retries (0: none) of what <see cref="Retried"/>
    /// allows, starting at <paramref name="retryDelay"/>, doubled with jitter; each retry is counted in
    /// <paramref name="tally"/> under its <see cref="RetryReason"/>.
    /// </summary>
    public static ResiliencePipeline Pipeline(int maxRetries, TimeSpan retryDelay, TimeSpan timeout, RetryTally tally)
    {
        ArgumentNullException.ThrowIfNull(tally);
        return Skald.Hub.RetryPipeline.Build(maxRetries, retryDelay,
            retried: o => o.Exception is { } e && Retried(e),
            wait: o => o.Exception is ClientResultException e ? RetryAfter(e) : null,
            retrying: o => tally.Add(RetryReason(o.Exception!)),
            attemptTimeout: timeout);
    }

    /// <summary>
    /// Whether a failed attempt is tried again: a transient HTTP status (<see cref="IsTransient"/>) or a broken
    /// connection, unless the endpoint never answered and could not be reached (<see cref="UnreachableEndpointException"/>),
    /// an attempt that timed out, and an unusable reply.
    /// </summary>
    public static bool Retried(Exception e) => e switch
    {
        ClientResultException c => IsTransient(c) && c.InnerException is not UnreachableEndpointException,
        UnreachableEndpointException => false,
        HttpRequestException or TimeoutRejectedException or UnusableReplyException => true,
        _ => false,
    };

    /// <summary>
    /// What a retry of <paramref name="e"/> is counted as: "HTTP 503", "timeout", "connection refused", "connection closed
    /// before an answer", "connection reset", the reason of an <see cref="UnusableReplyException"/>, ...
    /// </summary>
    public static string RetryReason(Exception e) => e switch
    {
        ClientResultException { Status: > 0 } c => $"HTTP {c.Status}",
        ClientResultException { InnerException: HttpRequestException h } => Connection(h).Label,
        HttpRequestException h => Connection(h).Label,
        TimeoutRejectedException => "timeout",
        UnusableReplyException u => u.Reason,
        _ => "no connection",
    };

    /// <summary>
    /// Why no connection to <paramref name="uri"/> could be made, in words for one line ("connection refused: nothing
    /// listens on 127.0.0.1:9 ..."), when <paramref name="e"/> says it could not be made at all (refused, a host name
    /// that does not resolve, no route, a TLS handshake that failed); null for any other failure (a connection that
    /// broke, a reply that ended early).
    /// </summary>
    public static string? Unreachable(HttpRequestException e, Uri? uri)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (label, unreachable) = Connection(e);
        if (!unreachable) return null;
        string host = uri?.Host ?? "the host";
        return label switch
        {
            "connection refused" => $"connection refused: nothing listens on {host}:{uri?.Port}; is the server running, and the port right?",
            "host name not resolved" => $"the host name '{host}' does not resolve; is it spelled right?",
            "TLS handshake failed" => $"the TLS handshake with {host}:{uri?.Port} failed ({FirstLine(e.InnerException?.Message ?? e.Message)}); " +
                "is the scheme right (http:// for a server without TLS)?",
            _ => $"no route to {host} ({FirstLine(e.InnerException?.Message ?? e.Message)}); is the address right?",
        };
    }

    /// <summary>
    /// The line for a 404 from the endpoint's <paramref name="path"/> (<c>chat/completions</c>, <c>embeddings</c>).
    /// Without a message from the server, nothing answers there, so the base URL is wrong. With one (OpenAI and Ollama
    /// answer an unknown model with a 404 and a message), the line quotes it and names both suspects.
    /// </summary>
    public static string NotFound(Uri endpoint, string path, string? said)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        string url = $"{endpoint.ToString().TrimEnd('/')}/{path}";
        return said is null
            ? $"{endpoint}: HTTP 404 for {url}: nothing there, so the base URL is wrong (give the part before /{path}, such as http://127.0.0.1:11434/v1)"
            : $"{endpoint}: HTTP 404 for {url}: the server says \"{said}\"; is the model name right, and the base URL the part before /{path}?";
    }

    /// <summary>Whether an HTTP failure is worth retrying: no connection (status 0), 408, 409, 429 or 5xx.</summary>
    public static bool IsTransient(ClientResultException e) => e.Status is 0 or 408 or 409 or 429 or >= 500;

    /// <summary>The wait a 429/503 reply asks for (Retry-After in seconds or as a date, at most 5 minutes), if any.</summary>
    public static TimeSpan? RetryAfter(ClientResultException e) =>
        e.GetRawResponse()?.Headers is { } headers && headers.TryGetValue("Retry-After", out string? value) ? Skald.Hub.RetryPipeline.RetryAfter(value) : null;

    /// <summary>
    /// The message and code of an OpenAI-style error body (<c>{"error": {"message": ..., "code": ...}}</c>, as OpenAI,
    /// vLLM, llama.cpp and skald serve answer a request they refuse: an input over the context, an unknown model; or
    /// older vLLM's <c>{"object": "error", "message": ...}</c>), the message on one line and at most 300 characters;
    /// nulls when the body is not one.
    /// </summary>
    public static (string? Message, string? Code) ServerError(ClientResultException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        try
        {
            string? body = e.GetRawResponse()?.Content?.ToString();
            if (string.IsNullOrEmpty(body)) return (null, null);
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object) return (null, null);
            if (!doc.RootElement.TryGetProperty("error", out var error))
            {
                if (!(doc.RootElement.TryGetProperty("object", out var o) && o.ValueKind == System.Text.Json.JsonValueKind.String && o.GetString() == "error"))
                    return (null, null);
                error = doc.RootElement; // older vLLM: the error's fields at the top
            }
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

    /// <summary>A connection failure's label for a retry, and whether it means no connection could be made at all.</summary>
    private static (string Label, bool Unreachable) Connection(HttpRequestException e)
    {
        if (e.HttpRequestError == HttpRequestError.NameResolutionError) return ("host name not resolved", true);
        if (e.HttpRequestError == HttpRequestError.SecureConnectionError) return ("TLS handshake failed", true);
        if (e.HttpRequestError == HttpRequestError.ResponseEnded) return ("connection closed before an answer", false);
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is not SocketException s) continue;
            return s.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => ("connection refused", true),
                SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => ("host name not resolved", true),
                SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => ("no route to host", true),
                SocketError.ConnectionReset => ("connection reset", false),
                _ => ("no connection", false),
            };
        }
        return ("no connection", false);
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
