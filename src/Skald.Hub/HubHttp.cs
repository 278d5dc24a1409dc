using System.Net;
using System.Net.Http.Headers;
using Polly;

namespace Skald.Hub;

/// <summary>
/// The one HTTP client of the hub routes (downloads and uploads): no automatic redirects or decompression, the settings'
/// timeout, Skald's user agent, and Skald's one retry pipeline (<see cref="RetryPipeline"/>: exponential back-off, or
/// what a Retry-After asks) around requests that may be repeated (connection errors, timeouts, 408, 429, 5xx). A request that cannot be answered becomes <see cref="HubUnreachableException"/>.
/// </summary>
internal sealed class HubHttp : IDisposable
{
    private readonly SocketsHttpHandler handler;
    private readonly HttpClient http;
    private readonly HttpClient streaming; // no whole-request timeout: a large body that keeps moving takes what it takes
    private readonly ResiliencePipeline retrying;

    public HubHttp(HubSettings settings)
    {
        Settings = settings;
        handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(settings.TimeoutSeconds),
        };
        var agent = new ProductInfoHeaderValue("skald", typeof(HubHttp).Assembly.GetName().Version?.ToString(3));
        http = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds) };
        http.DefaultRequestHeaders.UserAgent.Add(agent);
        streaming = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        streaming.DefaultRequestHeaders.UserAgent.Add(agent);
        // Skald's one retry pipeline with the hub's rule: connection errors, timeouts, 408, 429 and 5xx, waiting what a
        // Retry-After asks; an answer not used is released before the next attempt
        retrying = RetryPipeline.Build(settings.Retries, TimeSpan.FromMilliseconds(250),
            retried: o => o.Exception is HttpRequestException or TaskCanceledException { InnerException: TimeoutException }
                || (o.Result is HttpResponseMessage r && (int)r.StatusCode is 408 or 429 or >= 500),
            wait: o => o.Result is HttpResponseMessage r ? RetryPipeline.RetryAfter(Header(r, "Retry-After")) : null,
            retrying: o => (o.Result as IDisposable)?.Dispose());
    }

    /// <summary>The hub's address, token and limits.</summary>
    public HubSettings Settings { get; }

    /// <summary>
    /// Sends the request <paramref name="make"/> builds (called again for each attempt, so a body is read afresh),
    /// retried on transient failures when <paramref name="retry"/> (never for a request whose repetition would change
    /// the result twice, such as a commit), reading only the answer's headers before returning. With
    /// <paramref name="streaming"/> (a large upload body) the request has no overall time limit: the caller cancels
    /// <paramref name="ct"/> when the body stops moving instead, and <paramref name="waiting"/> hears the wait before each
    /// retry (<see cref="RetryPipeline.Waiting"/>), which a stall timer must not count.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> make, bool retry, CancellationToken ct, bool streaming = false,
        Action<TimeSpan>? waiting = null)
    {
        var client = streaming ? this.streaming : http;
        try
        {
            if (!retry)
            {
                using var once = make();
                return await client.SendAsync(once, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            var context = ResilienceContextPool.Shared.Get(ct);
            if (waiting is not null) context.Properties.Set(RetryPipeline.Waiting, waiting);
            try
            {
                return await retrying.ExecuteAsync(async c =>
                {
                    using var request = make();
                    return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, c.CancellationToken);
                }, context);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or TaskCanceledException)
        {
            throw new HubUnreachableException($"cannot reach {Settings.Endpoint} ({Reason(e)})", e);
        }
    }

    /// <summary>A header of the answer or of its content, or null.</summary>
    public static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) || r.Content.Headers.TryGetValues(name, out v) ? v.FirstOrDefault() : null;

    private static string Reason(Exception e) => e switch
    {
        TaskCanceledException => "timed out",
        HttpRequestException { InnerException: { } inner } => inner.Message,
        _ => e.Message,
    };

    public void Dispose()
    {
        http.Dispose();
        streaming.Dispose();
        handler.Dispose();
    }
}
