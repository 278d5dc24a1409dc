using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Skald.Serving;

/// <summary>
/// Maps Skald's OpenAI-compatible endpoints into an ASP.NET Core app, for hosting a model inside an existing service:
/// <code>
/// using var encoder = SentenceEncoder.Load("models/my-model"); // the app's: disposed after Run returns
/// var app = WebApplication.CreateBuilder(args).Build();
/// var embeddings = app.MapSkaldEmbeddings(encoder);   // POST /v1/embeddings, GET /v1/models
/// app.MapSkaldMetrics(embeddings);                     // GET /metrics (Prometheus text)
/// app.Run();
/// </code>
/// The service is disposed (queued work finished) when the app stops. Every answer other than success is OpenAI's
/// error object; no request can crash the server or show a stack trace.
/// </summary>
public static class SkaldEndpoints
{
    /// <summary>
    /// Serves <paramref name="encoder"/> at <c>POST /v1/embeddings</c> and <c>GET /v1/models</c> (plus
    /// <c>/v1/models/{id}</c>); returns the service (for <see cref="MapSkaldMetrics(IEndpointRouteBuilder, EmbeddingService, string)"/>, <see cref="MapSkaldHealth(IEndpointRouteBuilder, EmbeddingService, string)"/>),
    /// which is disposed when the app stops. The encoder stays the caller's, to dispose after the app has stopped.
    /// </summary>
    public static EmbeddingService MapSkaldEmbeddings(this IEndpointRouteBuilder endpoints, Skald.Models.SentenceEncoder encoder,
        EmbeddingServiceOptions? options = null)
    {
        var service = new EmbeddingService(encoder, options);
        if (endpoints.ServiceProvider.GetService(typeof(Microsoft.Extensions.Hosting.IHostApplicationLifetime))
            is Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime)
        {
            lifetime.ApplicationStopping.Register(service.Drain);
            lifetime.ApplicationStopped.Register(service.Dispose);
        }
        endpoints.MapSkaldEmbeddings(service);
        return service;
    }

    /// <summary>Maps the embeddings and model endpoints of an existing <paramref name="service"/> (its owner disposes it).</summary>
    public static void MapSkaldEmbeddings(this IEndpointRouteBuilder endpoints, EmbeddingService service)
    {
        var auth = new ApiKeyCheck(service.Options.ApiKey);
        endpoints.MapPost("/v1/embeddings", ctx => Handle(ctx, service.Metrics, "embeddings", auth, async () =>
        {
            var body = await RequestBody.ReadAsync(ctx.Request, service.Options.MaxBodyBytes).ConfigureAwait(false);
            var request = EmbeddingRequestReader.Read(body, service.Options.MaxInputs);
            if (request.Sparse)
            {
                if (!service.Encoder.IsSparse)
                    throw ApiException.BadRequest($"encoding_format \"sparse\" is for sparse encoders; '{service.ModelName}' makes dense embeddings", "encoding_format");
                if (request.Dimensions is not null || request.OutputType != Skald.Retrieval.Quantization.EmbeddingPrecision.Float32)
                    throw ApiException.BadRequest("encoding_format \"sparse\" takes neither dimensions nor output_dtype", request.Dimensions is not null ? "dimensions" : "output_dtype");
            }
            var result = await service.EmbedAsync(request, ctx.RequestAborted).ConfigureAwait(false);
            await ApiResponses.Embeddings(ctx.Response, result, service.ModelName, request.Base64, request.OutputType, service.Options.Ranges,
                request.Sparse).ConfigureAwait(false);
        }));
        MapModels(endpoints, service.Metrics, auth, () => service.Models);
    }

    /// <summary>
    /// Serves <c>POST {path}</c> (default <c>/v1/search</c>) over <paramref name="index"/>, embedding queries with
    /// <paramref name="service"/>'s model, which must be the one the index was built with (else
    /// <see cref="ArgumentException"/>, before anything is mapped). Returns the search service. The caller owns the
    /// index and disposes it after the app stops. With <paramref name="rerank"/> the first <c>rerank_candidates</c> hits
    /// (50 unless the request says) are scored by its cross-encoder and answered best first with its scores, unless the
    /// request says <c>"rerank": false</c>:
    /// <code>
    /// var embeddings = app.MapSkaldEmbeddings(encoder);
    /// using var index = SearchIndex.Open("idx");
    /// app.MapSkaldSearch(embeddings, index);              // POST /v1/search
    /// </code>
    /// </summary>
    public static SearchService MapSkaldSearch(this IEndpointRouteBuilder endpoints, EmbeddingService service,
        Skald.Retrieval.Index.SearchIndex index, string path = "/v1/search", RerankService? rerank = null) =>
        endpoints.MapSkaldSearch(service, new Skald.Retrieval.Index.LiveIndex(index), path, rerank);

    /// <summary>
    /// As <see cref="MapSkaldSearch(IEndpointRouteBuilder, EmbeddingService, Skald.Retrieval.Index.SearchIndex, string, RerankService?)"/>
    /// over an index reopened when it changes on disk (<see cref="Skald.Retrieval.Index.LiveIndex"/>): each search
    /// runs on the version served when it starts.
    /// </summary>
    public static SearchService MapSkaldSearch(this IEndpointRouteBuilder endpoints, EmbeddingService service,
        Skald.Retrieval.Index.LiveIndex index, string path = "/v1/search", RerankService? rerank = null)
    {
        var search = new SearchService(service, index, rerank);
        endpoints.MapSkaldSearch(search, service.Metrics, service.Options, service.ModelName, path);
        return search;
    }

    /// <summary>
    /// Serves <c>POST {path}</c> with <paramref name="search"/> (a late-interaction model's, say: <see cref="SearchService"/>'s
    /// other constructor), behind <paramref name="options"/>' API key and body limit, counted in <paramref name="metrics"/>,
    /// answering as <paramref name="modelName"/>.
    /// </summary>
    public static void MapSkaldSearch(this IEndpointRouteBuilder endpoints, SearchService search, ServingMetrics metrics, EmbeddingServiceOptions options,
        string modelName, string path = "/v1/search")
    {
        ArgumentNullException.ThrowIfNull(search);
        ArgumentNullException.ThrowIfNull(options);
        var auth = new ApiKeyCheck(options.ApiKey);
        endpoints.MapPost(path, ctx => Handle(ctx, metrics, "search", auth, async () =>
        {
            var body = await RequestBody.ReadAsync(ctx.Request, options.MaxBodyBytes).ConfigureAwait(false);
            var request = SearchRequestReader.Read(body);
            var (hits, tokens) = await search.SearchAsync(request, ctx.RequestAborted).ConfigureAwait(false);
            var manifest = search.Index.Manifest; // the dense scores of a Euclidean or Manhattan index are its negated distance: named
            string? distance = request.Mode != Skald.Retrieval.Index.SearchMode.Bm25 && !(request.Rerank && search.Reranker is not null) && manifest.ByDistance
                ? manifest.Similarity : null;
            await SearchResponses.Results(ctx.Response, request, hits, tokens, modelName, distance).ConfigureAwait(false);
        }));
    }

    /// <summary>
    /// Serves <c>POST {path}</c> (default <c>/v1/rerank</c>): <paramref name="rerank"/>'s cross-encoder scores the request's
    /// documents against its query (Jina's / Cohere's / llama.cpp's rerank shape, <see cref="RerankRequestReader"/>),
    /// behind <paramref name="service"/>'s API key and counted in its metrics.
    /// <code>
    /// var embeddings = app.MapSkaldEmbeddings(encoder);
    /// app.MapSkaldRerank(embeddings, new RerankService(CrossEncoder.Load("models/reranker")));   // POST /v1/rerank
    /// </code>
    /// </summary>
    public static void MapSkaldRerank(this IEndpointRouteBuilder endpoints, EmbeddingService service, RerankService rerank,
        string path = "/v1/rerank")
    {
        endpoints.MapSkaldRerank(rerank, service.Metrics, service.Options, path);
    }

    /// <summary>As <see cref="MapSkaldRerank(IEndpointRouteBuilder, EmbeddingService, RerankService, string)"/>, behind <paramref name="options"/>' API key and counted in <paramref name="metrics"/>.</summary>
    public static void MapSkaldRerank(this IEndpointRouteBuilder endpoints, RerankService rerank, ServingMetrics metrics, EmbeddingServiceOptions options,
        string path = "/v1/rerank")
    {
        ArgumentNullException.ThrowIfNull(rerank);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        metrics.TrackRerank(() => rerank.Pending, rerank.MaxQueue);
        var auth = new ApiKeyCheck(options.ApiKey);
        endpoints.MapPost(path, ctx => Handle(ctx, metrics, "rerank", auth, async () =>
        {
            var body = await RequestBody.ReadAsync(ctx.Request, options.MaxBodyBytes).ConfigureAwait(false);
            var request = RerankRequestReader.Read(body, rerank.MaxDocuments);
            var (ranked, tokens) = await rerank.RerankAsync(request, ctx.RequestAborted).ConfigureAwait(false);
            await RerankResponses.Results(ctx.Response, request, ranked, tokens, rerank.ModelName).ConfigureAwait(false);
        }));
    }

    /// <summary>Maps <c>GET {path}</c> to the Prometheus text of the service's metrics (behind the API key, if set).</summary>
    public static void MapSkaldMetrics(this IEndpointRouteBuilder endpoints, EmbeddingService service, string path = "/metrics") =>
        endpoints.MapSkaldMetrics(service.Metrics, service.Options.ApiKey, path);

    /// <summary>Maps <c>GET {path}</c> to the Prometheus text of <paramref name="metrics"/> (behind <paramref name="apiKey"/>, if set).</summary>
    public static void MapSkaldMetrics(this IEndpointRouteBuilder endpoints, ServingMetrics metrics, string? apiKey, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var auth = new ApiKeyCheck(apiKey);
        endpoints.MapGet(path, ctx => Handle(ctx, metrics, "metrics", auth, () =>
        {
            ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return metrics.WriteAsync(ctx.Response.Body, ctx.RequestAborted);
        }));
    }

    /// <summary>Maps <c>GET {path}</c> to <c>{"status": "ok", "model": ID}</c> (no API key: for load balancers).</summary>
    public static void MapSkaldHealth(this IEndpointRouteBuilder endpoints, EmbeddingService service, string path = "/health") =>
        endpoints.MapSkaldHealth(service.ModelName, path);

    /// <summary>
    /// Maps <c>GET {path}</c> to <c>{"status": "ok", "model": <paramref name="model"/>}</c> (no API key), and
    /// <c>HEAD {path}</c> to its status and headers, as checkers that ask with HEAD expect.
    /// </summary>
    public static void MapSkaldHealth(this IEndpointRouteBuilder endpoints, string model, string path = "/health") =>
        endpoints.MapSkaldHealth(model, null, path);

    /// <summary>
    /// As <see cref="MapSkaldHealth(IEndpointRouteBuilder, string, string)"/>, the body also telling whether
    /// <paramref name="search"/>'s index can be searched: <c>"index": "ok"</c>, or <c>"index": "unavailable"</c> with
    /// <c>"index_error"</c>, the line its searches answer 503 with (a mapped file cut shorter in place). The status
    /// stays 200 and <c>"status"</c> "ok" while the index is unavailable: embeddings (and rerank) are still served, so a
    /// load balancer should keep sending them; a checker of search alone reads <c>"index"</c>.
    /// <para>
    /// Once the app starts stopping (<see cref="Microsoft.Extensions.Hosting.IHostApplicationLifetime.ApplicationStopping"/>:
    /// Ctrl+C, SIGTERM, <c>StopAsync</c>) the answer is 503 with <c>"status": "draining"</c> and <c>Connection: close</c>,
    /// so that a load balancer polling over a kept-alive connection takes the server out while in-flight requests finish
    /// (on Ctrl+C or SIGTERM ASP.NET Core's console lifetime signals stopping before the host stops Kestrel, and a host
    /// may wait in between, in an <c>IHostedLifecycleService.StoppingAsync</c>).
    /// </para>
    /// </summary>
    public static void MapSkaldHealth(this IEndpointRouteBuilder endpoints, string model, SearchService? search, string path = "/health")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var stopping = (endpoints.ServiceProvider.GetService(typeof(Microsoft.Extensions.Hosting.IHostApplicationLifetime))
            as Microsoft.Extensions.Hosting.IHostApplicationLifetime)?.ApplicationStopping ?? CancellationToken.None;
        endpoints.MapMethods(path, ["GET", "HEAD"], ctx =>
        {
            bool draining = stopping.IsCancellationRequested;
            if (draining) ctx.Response.Headers.Connection = "close"; // the poller's next check opens a new connection, which a stopped server refuses
            string? indexError = search?.IndexError();
            return ApiResponses.Json(ctx.Response, draining ? 503 : 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", draining ? "draining" : "ok");
                w.WriteString("model", model);
                if (search is not null)
                {
                    w.WriteString("index", indexError is null ? "ok" : "unavailable");
                    if (indexError is not null) w.WriteString("index_error", indexError);
                }
                w.WriteEndObject();
            });
        });
    }

    /// <summary><c>GET /v1/models</c> and <c>/v1/models/{id}</c> over the models <paramref name="models"/> lists when asked.</summary>
    internal static void MapModels(IEndpointRouteBuilder endpoints, ServingMetrics metrics, ApiKeyCheck auth,
        Func<IReadOnlyList<ServedModel>> models)
    {
        endpoints.MapGet("/v1/models", ctx => Handle(ctx, metrics, "models", auth, () => ApiResponses.Models(ctx.Response, models())));
        endpoints.MapGet("/v1/models/{id}", ctx => Handle(ctx, metrics, "models", auth, () =>
        {
            var all = models();
            string? id = (string?)ctx.Request.RouteValues["id"];
            return all.FirstOrDefault(m => m.Id == id) is { } model
                ? ApiResponses.Model(ctx.Response, model)
                : throw new ApiException(404, $"the model '{id}' does not exist here (this server has {string.Join(", ", all.Select(m => $"'{m.Id}'"))})",
                    "invalid_request_error", "model", ApiErrorCode.ModelNotFound);
        }));
    }

    internal static async Task Handle(HttpContext ctx, ServingMetrics metrics, string endpoint, ApiKeyCheck auth, Func<Task> run)
    {
        long start = Stopwatch.GetTimestamp();
        int status;
        try
        {
            auth.Require(ctx.Request);
            await run().ConfigureAwait(false);
            status = ctx.Response.StatusCode;
        }
        catch (ApiException e)
        {
            if (e.Status == 500) Console.Error.WriteLine($"skald serve: {endpoint}: {e.Message}"); // the model failed: the operator sees it too
            status = await Fail(ctx, e).ConfigureAwait(false);
        }
        catch (Exception) when (ctx.RequestAborted.IsCancellationRequested)
        {
            status = 499; // the client went away
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"skald serve: {endpoint}: {e.GetType().Name}: {e.Message}");
            status = await Fail(ctx, new ApiException(500, "the server failed on this request; see its log", "server_error")).ConfigureAwait(false);
        }
        metrics.Request(endpoint, status, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private static async Task<int> Fail(HttpContext ctx, ApiException e)
    {
        if (ctx.Response.HasStarted)
        {
            ctx.Abort();
            return e.Status;
        }
        ctx.Response.Clear();
        await ApiResponses.Error(ctx.Response, e).ConfigureAwait(false);
        return e.Status;
    }
}
