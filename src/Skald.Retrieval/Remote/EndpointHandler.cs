using System.Net;

namespace Skald.Retrieval.Remote;

/// <summary>
/// The HTTP handler under one OpenAI-compatible client (<see cref="OpenAiConnection.ClientOptions"/>). It learns two
/// things about its endpoint from what comes back:
/// <list type="bullet">
/// <item>Whether the endpoint has answered at all. Until it has, a connection that cannot be made (refused, a host name
/// that does not resolve, no route to the host, a TLS handshake that fails) means a wrong address, not a server that went away, so it becomes an
/// <see cref="UnreachableEndpointException"/>: the retry pipeline does not retry it and the client reports it at once
/// in one line. Before this, a refused first request was retried for a minute and a half. After the first answer the
/// same failure means a server that is restarting, and it is retried.</item>
/// <item>Whether the endpoint closes every connection after its answer. That is an HTTP/1.0 answer without
/// <c>Connection: keep-alive</c>, as Python's <c>http.server</c> gives by default (the usual quick fake endpoint).
/// SocketsHttpHandler keeps such a connection in its pool anyway, because it reads only <c>Connection: close</c>. A request
/// sent on it just before the close arrives fails: the response ends early, or the connection is reset (.NET does not
/// resend a POST). That cost a counted retry and a backoff: the "3 retries" against a server that answered every
/// request. From the
/// first such answer on, requests go through a second handler that pools nothing (each request opens its own
/// connection, and says <c>Connection: close</c>). The first handler's pool, where the closed connection sits, is not
/// used again.</item>
/// </list>
/// What this relies on, as read upstream: dotnet/runtime at b3a162807d43ad412d17b46f6af203f501a1cbbc,
/// <c>SocketsHttpHandler/HttpConnection.cs</c> (a response's <c>Connection: close</c> is the only thing that marks a
/// connection closed after it, and a request whose body was sent is never resent on another connection); and
/// Azure/azure-sdk-for-net at 0712e15c9a22cac7d8af579aed84c512960e7ca6,
/// <c>System.ClientModel/src/Pipeline/HttpClientPipelineTransport.cs</c> (the SDK's transport wraps every
/// <see cref="HttpRequestException"/> in a <c>ClientResultException</c> of status 0, the exception as its inner one).
/// </summary>
public sealed class EndpointHandler : HttpMessageHandler
{
    private readonly HttpMessageInvoker pooled = new(NewHandler(TimeSpan.FromMinutes(5)), disposeHandler: true);
    private readonly Lazy<HttpMessageInvoker> unpooled = new(() => new HttpMessageInvoker(NewHandler(TimeSpan.Zero), disposeHandler: true));
    private int answered, closes;

    /// <summary>Whether any HTTP answer (any status) has come back.</summary>
    public bool Answered => Volatile.Read(ref answered) != 0;

    /// <summary>Whether the endpoint closes each connection after its answer (so no connection is reused).</summary>
    public bool ClosesConnections => Volatile.Read(ref closes) != 0;

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var invoker = Route(request);
        try
        {
            return Learn(await invoker.SendAsync(request, cancellationToken).ConfigureAwait(false), invoker);
        }
        catch (HttpRequestException e) when (!Answered && OpenAiConnection.Unreachable(e, request.RequestUri) is { } why)
        {
            throw new UnreachableEndpointException(why, e);
        }
    }

    /// <inheritdoc/>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var invoker = Route(request);
        try
        {
            return Learn(invoker.Send(request, cancellationToken), invoker);
        }
        catch (HttpRequestException e) when (!Answered && OpenAiConnection.Unreachable(e, request.RequestUri) is { } why)
        {
            throw new UnreachableEndpointException(why, e);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            pooled.Dispose();
            if (unpooled.IsValueCreated) unpooled.Value.Dispose();
        }
        base.Dispose(disposing);
    }

    private HttpMessageInvoker Route(HttpRequestMessage request)
    {
        if (!ClosesConnections) return pooled;
        request.Headers.ConnectionClose = true;
        return unpooled.Value;
    }

    private HttpResponseMessage Learn(HttpResponseMessage response, HttpMessageInvoker invoker)
    {
        Volatile.Write(ref answered, 1);
        // set before the caller reads the body, the moment the connection returns to the pool: no request after this
        // one takes that connection
        if (invoker == pooled && response.Version == HttpVersion.Version10
            && !response.Headers.Connection.Contains("keep-alive", StringComparer.OrdinalIgnoreCase))
            Volatile.Write(ref closes, 1);
        return response;
    }

    /// <summary>
    /// A handler as the SDK's default transport has one (no redirects followed; the pipeline times requests out), whose
    /// connections live in its pool at most <paramref name="lifetime"/> (zero: none is pooled).
    /// </summary>
    private static SocketsHttpHandler NewHandler(TimeSpan lifetime) => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = lifetime,
    };
}
