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
/// SocketsHttpHandler keeps such a connection in its pool anyway, because it reads only <c>Connection: close</c>, and
/// hands it, the moment its answer has been read, to a request waiting for a connection, without looking at it again.
/// That request is sent into a connection the server is about to close, and fails: the response ends early, or the
/// connection is reset (.NET does not resend a POST). That cost a counted retry and a backoff: the "3 retries" against
/// a server that answered every request.</item>
/// </list>
/// So the pool is used only once that is known. The first request goes through the pooling handler alone, to find out;
/// a request sent while it is under way goes through a second handler that pools nothing (it opens its own connection,
/// says <c>Connection: close</c>, and its connection is never handed on). When that first answer keeps its connection,
/// every later request goes through the pool, concurrently; when it closes it, every later request goes through the
/// second handler, and the first handler's pool, where the closing connection sits, is not used again. When the first
/// request gets no answer at all (a broken connection, a timeout), the next request finds out instead. An answer through
/// the pool that closes its connection after a keep-alive one (servers of two kinds behind one address) turns the pool off
/// from then on.
/// What this relies on, as read upstream: dotnet/runtime at b3a162807d43ad412d17b46f6af203f501a1cbbc,
/// <c>SocketsHttpHandler/HttpConnection.cs</c> (a response's <c>Connection: close</c> is the only thing that marks a
/// connection closed after it, and a request whose body was sent is never resent on another connection);
/// dotnet/runtime at 0b7b7b5f6b5815dec1044242fde79020b8212ecc,
/// <c>SocketsHttpHandler/ConnectionPool/HttpConnectionPool.Http1.cs</c> (<c>ProcessHttp11RequestQueue</c>: a connection
/// coming back to the pool goes straight to the first waiting request, unchecked, while the waiter's own new connection
/// is still being made); and Azure/azure-sdk-for-net at 0712e15c9a22cac7d8af579aed84c512960e7ca6,
/// <c>System.ClientModel/src/Pipeline/HttpClientPipelineTransport.cs</c> (the SDK's transport wraps every
/// <see cref="HttpRequestException"/> in a <c>ClientResultException</c> of status 0, the exception as its inner one).
/// </summary>
public sealed class EndpointHandler : HttpMessageHandler
{
    // how the endpoint treats a connection after its answer: not known yet; being found out by the one request sent
    // through the pool; keeps it; closes it (Closes is final)
    private const int Unknown = 0, FindingOut = 1, KeepsAlive = 2, Closes = 3;

    private readonly HttpMessageInvoker pooled;
    private readonly Lazy<HttpMessageInvoker> unpooled;
    private int answered, connections;

    /// <summary>A handler that connects as SocketsHttpHandler does by default.</summary>
    public EndpointHandler()
        : this(null)
    {
    }

    /// <summary>
    /// A handler whose connections are made by <paramref name="connect"/> (null: SocketsHttpHandler's own): the tests'
    /// way to hold a connection back until a moment they choose.
    /// </summary>
    internal EndpointHandler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect)
    {
        pooled = new(NewHandler(TimeSpan.FromMinutes(5), connect), disposeHandler: true);
        unpooled = new(() => new HttpMessageInvoker(NewHandler(TimeSpan.Zero, connect), disposeHandler: true));
    }

    /// <summary>Whether any HTTP answer (any status) has come back.</summary>
    public bool Answered => Volatile.Read(ref answered) != 0;

    /// <summary>Whether the endpoint closes each connection after its answer (so no connection is reused).</summary>
    public bool ClosesConnections => Volatile.Read(ref connections) == Closes;

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (invoker, findingOut) = Route(request);
        try
        {
            return Learn(await invoker.SendAsync(request, cancellationToken).ConfigureAwait(false), invoker);
        }
        catch (Exception e) when (Failed(e, findingOut, request) is { } unreachable)
        {
            throw unreachable;
        }
    }

    /// <inheritdoc/>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (invoker, findingOut) = Route(request);
        try
        {
            return Learn(invoker.Send(request, cancellationToken), invoker);
        }
        catch (Exception e) when (Failed(e, findingOut, request) is { } unreachable)
        {
            throw unreachable;
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

    /// <summary>The handler for <paramref name="request"/>, and whether it is the one request finding out how the
    /// endpoint treats its connections.</summary>
    private (HttpMessageInvoker Invoker, bool FindingOut) Route(HttpRequestMessage request)
    {
        int known = Volatile.Read(ref connections);
        if (known == KeepsAlive) return (pooled, false);
        if (known == Unknown && Interlocked.CompareExchange(ref connections, FindingOut, Unknown) == Unknown) return (pooled, true);
        // the endpoint closes its connections, or that is being found out: a connection of this request's own
        request.Headers.ConnectionClose = true;
        return (unpooled.Value, false);
    }

    private HttpResponseMessage Learn(HttpResponseMessage response, HttpMessageInvoker invoker)
    {
        Volatile.Write(ref answered, 1);
        if (invoker != pooled) return response; // it asked for its connection to be closed: nothing learnt of the endpoint
        // set before the caller reads the body, the moment the connection returns to the pool: no request after this
        // one is routed to that pool
        if (response.Version == HttpVersion.Version10 && !response.Headers.Connection.Contains("keep-alive", StringComparer.OrdinalIgnoreCase))
            Volatile.Write(ref connections, Closes);
        else
            Interlocked.CompareExchange(ref connections, KeepsAlive, FindingOut);
        return response;
    }

    /// <summary>
    /// After a request failed with <paramref name="e"/>: the next request finds out what this one could not (when it was
    /// <paramref name="findingOut"/>); an <see cref="UnreachableEndpointException"/> to throw instead when the endpoint
    /// has never answered and could not be reached, else null (<paramref name="e"/> goes on as it is).
    /// </summary>
    private Exception? Failed(Exception e, bool findingOut, HttpRequestMessage request)
    {
        if (findingOut) Interlocked.CompareExchange(ref connections, Unknown, FindingOut);
        return e is HttpRequestException h && !Answered && OpenAiConnection.Unreachable(h, request.RequestUri) is { } why
            ? new UnreachableEndpointException(why, h)
            : null;
    }

    /// <summary>
    /// A handler as the SDK's default transport has one (no redirects followed; the pipeline times requests out), whose
    /// connections live in its pool at most <paramref name="lifetime"/> (zero: none is pooled) and are made by
    /// <paramref name="connect"/> (null: its own way).
    /// </summary>
    private static SocketsHttpHandler NewHandler(TimeSpan lifetime, Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect) => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = lifetime,
        ConnectCallback = connect,
    };
}
