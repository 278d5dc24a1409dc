namespace Skald.Serving;

/// <summary>
/// Limits and behaviour of the OpenAI-compatible embeddings endpoints (<see cref="EmbeddingService"/>). The defaults
/// follow OpenAI's documented limits where they exist (2,048 inputs per request).
/// </summary>
public sealed record EmbeddingServiceOptions
{
    /// <summary>The model id reported in responses and by <c>GET /v1/models</c> (null: the model folder's name).</summary>
    public string? ModelName { get; init; }

    /// <summary>
    /// The API key clients must send as <c>Authorization: Bearer KEY</c> (compared in constant time); null: no key is
    /// asked for. <c>/health</c> never asks for it.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// Calibration ranges for <c>output_dtype</c> int8 / uint8 (sentence-transformers' ranges, e.g. the
    /// <c>NAME.ranges.npy</c> <c>skald encode --precision int8</c> wrote beside the corpus's embeddings, so queries are
    /// quantized as the corpus was); null: those output types are refused.
    /// </summary>
    public Skald.Retrieval.Quantization.QuantizationRanges? Ranges { get; init; }

    /// <summary>
    /// The weights of a <c>/v1/search</c> request over a BGE-M3 index (<c>skald index build --bge-m3</c>) that gives no
    /// <c>bge_m3_weights</c> of its own (<c>skald serve --bge-m3-weights</c>); null: 1 for each output the index stores.
    /// Weights that use an output the index does not store, or given for another index, are an
    /// <see cref="ArgumentException"/> when the search is set up.
    /// </summary>
    public Skald.Models.BgeM3.BgeM3Weights? BgeM3Weights { get; init; }

    /// <summary>Most inputs in one request (more: 400).</summary>
    public int MaxInputs { get; init; } = 2048;

    /// <summary>Largest request body in bytes (more: 413); a body is held in one array, so at most <see cref="Array.MaxLength"/> (a larger value, such as long.MaxValue for none, is that).</summary>
    public long MaxBodyBytes { get; init; } = 16 << 20;

    /// <summary>
    /// What happens to an input longer than the model's max_seq_length: false (default) answers 400, as OpenAI does
    /// for inputs over the context length; true truncates it, as <c>skald encode</c> and sentence-transformers do.
    /// </summary>
    public bool Truncate { get; init; }

    /// <summary>
    /// For an LLM2Vec model (<c>llm2vec_config.json</c>): the instruction inputs sent with <c>"input_type": "query"</c>
    /// (and <c>/v1/search</c>'s queries) are embedded with, attended to and left out of pooling as
    /// <see cref="Skald.Models.EncodeOptions.Instruction"/>; null: the model's own query prompt, if it has one, else none.
    /// Other models: must be null (<see cref="EmbeddingService"/> throws <see cref="ArgumentException"/>).
    /// </summary>
    public string? QueryInstruction { get; init; }

    /// <summary>Most tokens (padded rows × longest row) in one forward pass of the batcher.</summary>
    public int MaxBatchTokens { get; init; } = 16384;

    /// <summary>Most inputs in one forward pass of the batcher.</summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>How long the batcher waits for more inputs after the first one of a batch arrives.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(3);

    /// <summary>
    /// Most inputs waiting for the batcher (queued, gathered into a batch, or in its forward pass); a request that would
    /// exceed it is refused with 503 and <c>Retry-After</c>.
    /// </summary>
    public int MaxQueuedInputs { get; init; } = 65536;

    /// <summary>
    /// How long <see cref="EmbeddingServer"/> keeps listening and serving once asked to stop (Ctrl+C, SIGTERM,
    /// <see cref="EmbeddingServer.Stop"/>; <c>skald serve --shutdown-delay</c>), while <c>/health</c> answers 503
    /// "draining", so that a load balancer polling it takes the server out before new connections are refused; then
    /// it stops listening and finishes the requests in flight (for up to 30 s more). Default zero: stop listening at
    /// once, as a server run at a terminal is expected to on Ctrl+C; behind a load balancer give a few of its health
    /// checks (5 s, say), well inside Kubernetes' default 30 s grace period, as the preStop sleeps commonly used for this
    /// are. <see cref="EmbeddingServer.DisposeAsync"/> alone stops without it.
    /// </summary>
    public TimeSpan ShutdownDelay { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// The clock <see cref="ShutdownDelay"/> is measured by: the system's; a test's own, which passes only when the test
    /// moves it, so that what the server does within the delay is checked without racing a wall clock.
    /// </summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where <see cref="EmbeddingServer"/> writes one line per request once it is answered (<c>skald serve --access-log</c>:
    /// standard error): the UTC time, method, path without the query, status (499 for a client that went away first)
    /// and milliseconds taken, e.g. <c>2026-12-07T00:38:00.1234567Z POST /v1/embeddings 200 12.3 ms</c>; never a body,
    /// header or key. Null (the default): no access log. A host app mapping the endpoints itself has ASP.NET Core's
    /// own request logging instead.
    /// </summary>
    public TextWriter? AccessLog { get; init; }
}
