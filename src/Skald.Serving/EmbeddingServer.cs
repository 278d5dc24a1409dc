using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skald.Models;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Serving;

/// <summary>
/// <c>skald serve</c>'s stand-alone server: Kestrel on one address with <c>/v1/embeddings</c>, <c>/v1/models</c>,
/// <c>/health</c>, <c>/metrics</c>, given an index <c>/v1/search</c> and given a cross-encoder <c>/v1/rerank</c>. Start it with a loaded model (so a model that fails to load never leaves a
/// server half up); an address in use is an <see cref="IOException"/> with one clear line. Stopping (Ctrl+C, SIGTERM
/// or <see cref="Stop"/>) answers <c>/health</c> 503 at once, serves on for <see cref="EmbeddingServiceOptions.ShutdownDelay"/>,
/// then stops accepting, lets in-flight requests finish and stops the batcher; <see cref="DisposeAsync"/> does the last
/// part at once.
/// </summary>
public sealed class EmbeddingServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly EmbeddingService? service;

    private readonly string? searchModel; // a late-interaction server's model (no embedding or chat service)

    private EmbeddingServer(WebApplication app, EmbeddingService? service, ChatService? chat, Uri address, string? searchModel = null)
    {
        this.app = app;
        this.service = service;
        this.searchModel = searchModel;
        Chat = chat;
        Address = address;
    }

    /// <summary>The address the server listens on (the real port when 0 was asked for).</summary>
    public Uri Address { get; }

    /// <summary>The embedding model's service (metrics, options); null on a chat-only server.</summary>
    public EmbeddingService? Service => service;

    /// <summary>The chat model's service, if one is served.</summary>
    public ChatService? Chat { get; }

    /// <summary>The id of the main served model: the embedding model's, else the chat model's.</summary>
    public string ModelName => service?.ModelName ?? searchModel ?? Chat!.ModelName;

    /// <summary>Whether <paramref name="host"/> is a loopback address (127.0.0.0/8, ::1, "localhost").</summary>
    public static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>
    /// Starts serving <paramref name="encoder"/> on <paramref name="host"/>:<paramref name="port"/> (port 0: any free
    /// port). Throws <see cref="ArgumentException"/> for a host that is not an IP address or "localhost" and
    /// <see cref="IOException"/> when the address cannot be bound.
    /// </summary>
    public static Task<EmbeddingServer> StartAsync(SentenceEncoder encoder, string host, int port,
        EmbeddingServiceOptions? options = null, CancellationToken cancel = default) =>
        StartAsync(encoder, null, host, port, options, cancel);

    /// <summary>
    /// As <see cref="StartAsync(SentenceEncoder, string, int, EmbeddingServiceOptions?, CancellationToken)"/>, also
    /// serving <c>POST /v1/search</c> over <paramref name="index"/> when it is not null (the caller disposes it after
    /// the server). An index built with another model is an <see cref="ArgumentException"/> before anything listens.
    /// </summary>
    public static Task<EmbeddingServer> StartAsync(SentenceEncoder encoder, SearchIndex? index, string host, int port,
        EmbeddingServiceOptions? options = null, CancellationToken cancel = default) =>
        StartAsync(encoder, index, null, host, port, options, cancel);

    /// <summary>
    /// As <see cref="StartAsync(SentenceEncoder, SearchIndex?, string, int, EmbeddingServiceOptions?, CancellationToken)"/>,
    /// also serving <c>POST /v1/rerank</c> with <paramref name="rerank"/>'s cross-encoder when it is not null (which then
    /// reranks <c>/v1/search</c>'s hits too).
    /// </summary>
    public static Task<EmbeddingServer> StartAsync(SentenceEncoder encoder, SearchIndex? index, RerankService? rerank,
        string host, int port, EmbeddingServiceOptions? options = null, CancellationToken cancel = default) =>
        StartLiveAsync(encoder, index is null ? null : new LiveIndex(index), rerank, host, port, options, cancel);

    /// <summary>
    /// As <see cref="StartAsync(SentenceEncoder, SearchIndex?, RerankService?, string, int, EmbeddingServiceOptions?, CancellationToken)"/>
    /// over an index reopened when it changes on disk (<see cref="LiveIndex"/>; the caller disposes it after the server).
    /// </summary>
    public static Task<EmbeddingServer> StartLiveAsync(SentenceEncoder encoder, LiveIndex? index, RerankService? rerank,
        string host, int port, EmbeddingServiceOptions? options = null, CancellationToken cancel = default) =>
        StartLiveAsync(encoder, index, rerank, null, host, port, options, cancel);

    /// <summary>
    /// As <see cref="StartLiveAsync(SentenceEncoder, LiveIndex?, RerankService?, string, int, EmbeddingServiceOptions?, CancellationToken)"/>,
    /// also serving <c>POST /v1/chat/completions</c> (and <c>/v1/completions</c> for a local decoder) with
    /// <paramref name="chat"/> when it is not null (its metrics are the server's; its API key and body limit should be
    /// <paramref name="options"/>'); <paramref name="encoder"/> may then be null for a chat-only server (no embeddings,
    /// search or rerank).
    /// </summary>
    public static async Task<EmbeddingServer> StartLiveAsync(SentenceEncoder? encoder, LiveIndex? index, RerankService? rerank,
        ChatService? chat, string host, int port, EmbeddingServiceOptions? options = null, CancellationToken cancel = default)
    {
        if (encoder is null && (chat is null || index is not null || rerank is not null))
            throw new ArgumentException("an embedding model is needed to serve embeddings, search or rerank", nameof(encoder));
        if (index is not null) SearchService.CheckModel(index.Current, encoder!);
        var ip = Ip(host);
        var app = Create(ip, port, options);
        var service = encoder is null ? null : new EmbeddingService(encoder, options, chat?.Metrics);
        var metrics = service?.Metrics ?? chat!.Metrics;
        SearchService? search = null;
        if (service is not null)
        {
            app.Lifetime.ApplicationStopping.Register(service.Drain);
            app.MapSkaldEmbeddings(service);
            if (index is not null) search = app.MapSkaldSearch(service, index, rerank: rerank);
            if (rerank is not null) app.MapSkaldRerank(service, rerank);
        }
        if (chat is not null) app.MapSkaldChat(chat, service);
        app.MapSkaldHealth(service?.ModelName ?? chat!.ModelName, search);
        app.MapSkaldMetrics(metrics, options?.ApiKey);
        MapFallback(app, [.. new (object? Served, string Path)[] { (service, "/v1/embeddings"), (index, "/v1/search"), (rerank, "/v1/rerank"), (chat, "/v1/chat/completions"),
            (chat?.Client.GetService(typeof(Skald.Models.Generation.SkaldChatClient)), "/v1/completions") }
            .Where(r => r.Served is not null).Select(r => r.Path)]);
        return new EmbeddingServer(app, service, chat, await Listen(app, ip, port, service, cancel).ConfigureAwait(false));
    }

    /// <summary>
    /// Starts a server of a late-interaction model (<see cref="MultiVectorEmbeddingModel"/>: ColBERT) over an index of
    /// its token vectors: <c>POST /v1/search</c> (queries encoded by <paramref name="model"/>, the index searched by
    /// exact MaxSim, <see cref="SearchService"/>), <c>POST /v1/rerank</c> with <paramref name="rerank"/>, <c>GET /v1/models</c>
    /// (the model, as the dense server lists its own), <c>/health</c> and <c>/metrics</c>; no <c>/v1/embeddings</c> (the
    /// model makes no one vector a text). The index must have been
    /// built with <paramref name="model"/> (<see cref="SearchService.CheckModel(SearchIndex, MultiVectorEmbeddingModel)"/>,
    /// else <see cref="ArgumentException"/>). <paramref name="options"/>: the API key, body limit and model name.
    /// </summary>
    public static async Task<EmbeddingServer> StartLateInteractionAsync(MultiVectorEmbeddingModel model, LiveIndex index, RerankService? rerank,
        string host, int port, EmbeddingServiceOptions? options = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(index);
        options ??= new EmbeddingServiceOptions();
        string name = options.ModelName ?? model.Name;
        var search = new SearchService(model, index, rerank);
        var ip = Ip(host);
        var app = Create(ip, port, options);
        var metrics = new ServingMetrics();
        app.MapSkaldSearch(search, metrics, options, name);
        if (rerank is not null) app.MapSkaldRerank(rerank, metrics, options);
        var served = new ServedModel(name, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        SkaldEndpoints.MapModels(app, metrics, new ApiKeyCheck(options.ApiKey), () => [served]);
        app.MapSkaldHealth(name, search);
        app.MapSkaldMetrics(metrics, options.ApiKey);
        MapFallback(app, rerank is null ? ["/v1/search"] : ["/v1/search", "/v1/rerank"]);
        return new EmbeddingServer(app, null, null, await Listen(app, ip, port, null, cancel).ConfigureAwait(false), name);
    }

    private static IPAddress Ip(string host) => host == "localhost" ? IPAddress.Loopback
        : IPAddress.TryParse(host, out var parsed) ? parsed
        : throw new ArgumentException($"host \"{host}\" is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::)", nameof(host));

    private static WebApplication Create(IPAddress ip, int port, EmbeddingServiceOptions? options)
    {
        var delay = options?.ShutdownDelay ?? new EmbeddingServiceOptions().ShutdownDelay;
        if (delay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), $"ShutdownDelay must not be negative, got {delay}");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        // the shutdown delay, then up to 30 s for the requests in flight (the host's timeout covers both)
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = delay + TimeSpan.FromSeconds(30));
        if (delay > TimeSpan.Zero)
            builder.Services.AddSingleton<IHostedService>(s => new ShutdownDelay(s.GetRequiredService<IHostApplicationLifetime>(), delay, options?.Time ?? TimeProvider.System));
        builder.Services.AddRequestDecompression(); // Content-Encoding gzip, deflate, br: the body is read decompressed
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(ip, port);
        });
        var app = builder.Build();
        if (options?.AccessLog is { } accessLog) AccessLog.Use(app, accessLog);
        app.UseRequestDecompression();
        return app;
    }

    /// <summary>
    /// Answers any other route 404 naming the served ones (<paramref name="posts"/>, <c>/v1/models</c>, <c>/health</c>,
    /// <c>/metrics</c>), or 405 naming the method a known one takes.
    /// </summary>
    private static void MapFallback(WebApplication app, string[] posts)
    {
        string routes = string.Concat(posts.Select(r => $"POST {r}, "));
        app.MapFallback(ctx =>
        {
            // A known endpoint asked with another method is a 405 naming the one it takes, as HTTP says, not a 404.
            string path = ctx.Request.Path.Value?.TrimEnd('/') ?? "";
            string? allowed = posts.Contains(path, StringComparer.Ordinal) ? "POST" : path == "/health" ? "GET, HEAD"
                : path == "/metrics" || path == "/v1/models" || path.StartsWith("/v1/models/", StringComparison.Ordinal) ? "GET" : null;
            if (allowed is not null) ctx.Response.Headers.Allow = allowed;
            return ApiResponses.Error(ctx.Response, allowed is null
                ? new ApiException(404, $"no endpoint {ctx.Request.Method} {ctx.Request.Path} here ({routes}GET /v1/models, /health, /metrics)",
                    "invalid_request_error", null, ApiErrorCode.UnknownUrl)
                : new ApiException(405, $"{ctx.Request.Path} takes {allowed}, not {ctx.Request.Method}", "invalid_request_error", null, ApiErrorCode.MethodNotAllowed));
        });
    }

    /// <summary>Starts <paramref name="app"/> listening; returns its address (a port in use or another listening failure: one <see cref="IOException"/> line).</summary>
    private static async Task<Uri> Listen(WebApplication app, IPAddress ip, int port, EmbeddingService? service, CancellationToken cancel)
    {
        try
        {
            await app.StartAsync(cancel).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            service?.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            if (e is IOException io)
            {
                string what = io.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException || io.Message.Contains("in use", StringComparison.OrdinalIgnoreCase)
                    ? "the address is already in use (another server?); choose another --port"
                    : io.InnerException?.Message ?? io.Message;
                throw new IOException($"cannot listen on {Format(ip, port)}: {what}", e);
            }
            throw;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }

    /// <summary>Completes when the server has been asked to stop (Ctrl+C, SIGTERM, <see cref="Stop"/>) and has stopped.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel = default) => app.WaitForShutdownAsync(cancel);

    /// <summary>Cancelled once the server is asked to stop (Ctrl+C, SIGTERM, <see cref="Stop"/>): from then on <c>/health</c> answers 503.</summary>
    public CancellationToken Stopping => app.Lifetime.ApplicationStopping;

    /// <summary>
    /// Asks the server to stop as Ctrl+C and SIGTERM do: <c>/health</c> answers 503 "draining" from now on, requests are
    /// still taken for <see cref="EmbeddingServiceOptions.ShutdownDelay"/>, then the listener closes and the requests in
    /// flight finish; <see cref="WaitForShutdownAsync"/> completes once it has stopped (then dispose the server).
    /// </summary>
    public void Stop() => app.Lifetime.StopApplication();

    /// <summary>
    /// Stops accepting at once (without <see cref="EmbeddingServiceOptions.ShutdownDelay"/>, unless a stop signal came
    /// less than that ago and the server has not stopped yet), finishes in-flight requests and the batcher's queue, and
    /// releases the server.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        service?.Dispose();
        await app.DisposeAsync().ConfigureAwait(false);
    }

    private static string Format(IPAddress ip, int port) =>
        ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"http://[{ip}]:{port}" : $"http://{ip}:{port}";
}
