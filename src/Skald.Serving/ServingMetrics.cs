using Prometheus;

namespace Skald.Serving;

/// <summary>
/// The server's Prometheus metrics (prometheus-net) in a registry of their own, so several services in one process
/// (tests, a host app) do not share counters: requests by endpoint and status, request latency, inputs and tokens
/// embedded, the batcher's batch sizes, queue length and pending inputs (what its limit compares), the reranker's
/// requests in progress, the local chat model's requests queued and running, chat completion tokens.
/// </summary>
public sealed class ServingMetrics
{
    private readonly CollectorRegistry registry = Metrics.NewCustomRegistry();
    private readonly Counter requests;
    private readonly Histogram latency;
    private readonly Counter inputs;
    private readonly Counter tokens;
    private readonly Histogram batchSize;
    private readonly Histogram batchTokens;
    private readonly Gauge queued;
    private readonly Gauge pending;
    private readonly Gauge pendingLimit;
    private readonly Gauge rerankPending;
    private readonly Gauge rerankLimit;
    private readonly List<Func<int>> pendingSources = [];
    private readonly List<Func<int>> rerankSources = [];
    private readonly Gauge chatQueued;
    private readonly Gauge chatRunning;
    private readonly Gauge chatQueuedLimit;
    private readonly List<(Func<int> Queued, Func<int> Running)> chatSources = [];
    private readonly Counter chatPromptTokens;
    private readonly Counter chatCompletionTokens;

    /// <summary>Creates the metrics in a new registry.</summary>
    public ServingMetrics()
    {
        var f = Metrics.WithCustomRegistry(registry);
        requests = f.CreateCounter("skald_requests_total", "HTTP requests by endpoint and status code",
            new CounterConfiguration { LabelNames = ["endpoint", "code"] });
        latency = f.CreateHistogram("skald_request_duration_seconds", "Request latency in seconds, by endpoint",
            new HistogramConfiguration { LabelNames = ["endpoint"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        inputs = f.CreateCounter("skald_inputs_total", "Inputs (texts or token arrays) embedded");
        tokens = f.CreateCounter("skald_tokens_total", "Tokens embedded (the usage prompt_tokens summed)");
        batchSize = f.CreateHistogram("skald_batch_size", "Inputs per forward pass of the dynamic batcher",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 10) });
        batchTokens = f.CreateHistogram("skald_batch_tokens", "Padded tokens (rows x longest row) per forward pass",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(16, 2, 12) });
        queued = f.CreateGauge("skald_queue_inputs", "Inputs waiting for the batcher, not yet gathered into a batch");
        pending = f.CreateGauge("skald_pending_inputs",
            "Inputs accepted and not yet embedded (queued, gathered into a batch, or in a forward pass): what skald_pending_inputs_limit bounds");
        pendingLimit = f.CreateGauge("skald_pending_inputs_limit", "Most pending inputs (MaxQueuedInputs); a request that would pass it is a 503");
        rerankPending = f.CreateGauge("skald_rerank_requests", "Rerank requests being scored or waiting for the model: what skald_rerank_requests_limit bounds");
        rerankLimit = f.CreateGauge("skald_rerank_requests_limit", "Most rerank requests at once (MaxQueue); one more is a 503");
        chatQueued = f.CreateGauge("skald_chat_requests_queued",
            "Chat and text completion requests waiting for the local model (not yet decoding): what skald_chat_requests_queued_limit bounds");
        chatRunning = f.CreateGauge("skald_chat_requests_running", "Chat and text completion requests the local model is decoding");
        chatQueuedLimit = f.CreateGauge("skald_chat_requests_queued_limit", "Most chat and text completion requests waiting (SkaldChatClient.MaxQueue); one more is a 503");
        registry.AddBeforeCollectCallback(() =>
        {
            // read when scraped, so the value is the one the limit compares at that moment (no update from the hot path)
            lock (pendingSources)
            {
                pending.Set(pendingSources.Sum(s => s()));
                rerankPending.Set(rerankSources.Sum(s => s()));
                chatQueued.Set(chatSources.Sum(s => s.Queued()));
                chatRunning.Set(chatSources.Sum(s => s.Running()));
            }
        });
        chatPromptTokens = f.CreateCounter("skald_chat_prompt_tokens_total", "Prompt tokens of answered chat and text completions");
        chatCompletionTokens = f.CreateCounter("skald_chat_completion_tokens_total", "Tokens generated for chat and text completions");
    }

    /// <summary>Counts one finished request.</summary>
    public void Request(string endpoint, int status, double seconds)
    {
        requests.WithLabels(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        latency.WithLabels(endpoint).Observe(seconds);
    }

    /// <summary>Counts inputs and tokens of a successful embeddings request.</summary>
    public void Embedded(int inputCount, long tokenCount)
    {
        inputs.Inc(inputCount);
        tokens.Inc(tokenCount);
    }

    /// <summary>Records one forward pass of the batcher.</summary>
    public void Batch(int size, int paddedTokens)
    {
        batchSize.Observe(size);
        batchTokens.Observe(paddedTokens);
    }

    /// <summary>Sets the batcher's queue length.</summary>
    public void Queue(int length) => queued.Set(length);

    /// <summary>
    /// Reports an embedding batcher's pending inputs (read at each scrape) and its limit as <c>skald_pending_inputs</c>
    /// and <c>skald_pending_inputs_limit</c>; several batchers sharing these metrics are summed.
    /// </summary>
    internal void TrackPending(Func<int> read, int limit)
    {
        lock (pendingSources) pendingSources.Add(read);
        pendingLimit.Inc(limit);
    }

    /// <summary>
    /// Reports a reranker's requests in progress (read at each scrape) and its limit as <c>skald_rerank_requests</c>
    /// and <c>skald_rerank_requests_limit</c>; several rerankers sharing these metrics are summed.
    /// </summary>
    internal void TrackRerank(Func<int> read, int limit)
    {
        lock (pendingSources) rerankSources.Add(read);
        rerankLimit.Inc(limit);
    }

    /// <summary>
    /// Reports a local chat model's requests waiting and being decoded (read at each scrape) and its queue's limit as
    /// <c>skald_chat_requests_queued</c>, <c>skald_chat_requests_running</c> and
    /// <c>skald_chat_requests_queued_limit</c>; several models sharing these metrics are summed.
    /// </summary>
    internal void TrackGeneration(Func<int> queued, Func<int> running, int limit)
    {
        lock (pendingSources) chatSources.Add((queued, running));
        chatQueuedLimit.Inc(limit);
    }

    /// <summary>Counts the tokens of one answered chat completion (or text completion).</summary>
    public void Chat(long promptTokens, long completionTokens)
    {
        chatPromptTokens.Inc(promptTokens);
        chatCompletionTokens.Inc(completionTokens);
    }

    /// <summary>Writes every metric in the Prometheus text format.</summary>
    public Task WriteAsync(Stream stream, CancellationToken cancel) => registry.CollectAndExportAsTextAsync(stream, cancel);
}
