using Skald.Models;
using Skald.Tokenizers;

namespace Skald.Serving;

/// <summary>
/// One served model: checks and tokenizes requests on the caller's thread, embeds them through the
/// <see cref="DynamicBatcher"/>, applies Matryoshka truncation, and keeps the <see cref="ServingMetrics"/>. The
/// encoder must not run elsewhere while served (its forward passes run on the batcher's thread). Dispose finishes
/// queued work.
/// </summary>
public sealed class EmbeddingService : IDisposable
{
    private readonly DynamicBatcher batcher;

    /// <summary>
    /// Serves <paramref name="encoder"/> with <paramref name="options"/> (null: the defaults), counting into
    /// <paramref name="metrics"/> (null: its own; a <see cref="ChatService"/>'s to share one <c>/metrics</c>).
    /// </summary>
    public EmbeddingService(SentenceEncoder encoder, EmbeddingServiceOptions? options = null, ServingMetrics? metrics = null)
    {
        Encoder = encoder;
        Options = options ?? new EmbeddingServiceOptions();
        if (Options.MaxBatchSize < 1 || Options.MaxBatchTokens < 1 || Options.MaxInputs < 1 || Options.MaxBodyBytes < 1 || Options.MaxQueuedInputs < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "batch sizes and limits must be positive");
        if (Options.QueryInstruction is not null && encoder.Folder.Llm2Vec is null)
            throw new ArgumentException($"{encoder.Folder.Path}: a query instruction is for LLM2Vec models (llm2vec_config.json)", nameof(options));
        ModelName = Options.ModelName ?? ModelNames.Of(encoder.Source);
        Metrics = metrics ?? new ServingMetrics();
        batcher = new DynamicBatcher(encoder, Options, Metrics);
    }

    /// <summary>The served model.</summary>
    public SentenceEncoder Encoder { get; }

    /// <summary>Limits and behaviour.</summary>
    public EmbeddingServiceOptions Options { get; }

    /// <summary>The model id in responses: <see cref="EmbeddingServiceOptions.ModelName"/>, else the name of the folder the model was loaded from (an adapter folder given as the model, not its base).</summary>
    public string ModelName { get; }

    /// <summary>The Prometheus metrics.</summary>
    public ServingMetrics Metrics { get; }

    /// <summary>When the service was created (Unix seconds; <c>created</c> in <c>GET /v1/models</c>).</summary>
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>What <c>GET /v1/models</c> lists: this model, then any served beside it (a chat model).</summary>
    internal IReadOnlyList<ServedModel> Models => [new ServedModel(ModelName, Created), .. alsoServed];

    private readonly List<ServedModel> alsoServed = [];

    /// <summary>Lists <paramref name="model"/> in <c>GET /v1/models</c> beside this one (before the app starts).</summary>
    internal void AlsoServe(ServedModel model) => alsoServed.Add(model);

    /// <summary>
    /// Embeds a request's inputs (errors: <see cref="ApiException"/> 400 for inputs the model cannot take, 503 when
    /// overloaded or stopping). Once <paramref name="cancellationToken"/> is cancelled (the client went away) the task
    /// is cancelled and the request's inputs not yet in a forward pass leave the batcher's queue.
    /// </summary>
    public async Task<EmbeddingResult> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
    {
        if (request.MaxActiveDims is not null && !Encoder.IsSparse)
            throw ApiException.BadRequest($"max_active_dims is for sparse encoders; '{ModelName}' makes dense embeddings", "max_active_dims");
        if (request.Dimensions is int d && d > Encoder.Dimension)
            throw ApiException.BadRequest($"dimensions {d} is larger than the model's {Encoder.Dimension}", "dimensions");
        if (Skald.Retrieval.Quantization.EmbeddingQuantizer.IsBinary(request.OutputType) && (request.Dimensions ?? Encoder.Dimension) % 8 != 0)
            throw ApiException.BadRequest($"output_dtype {Skald.Retrieval.Quantization.EmbeddingQuantizer.Name(request.OutputType)} packs 8 dimensions a byte; " +
                $"{request.Dimensions ?? Encoder.Dimension} is not divisible by 8 (ask for dimensions that are)", "output_dtype");
        if (Skald.Retrieval.Quantization.EmbeddingQuantizer.NeedsRanges(request.OutputType))
        {
            string name = Skald.Retrieval.Quantization.EmbeddingQuantizer.Name(request.OutputType);
            if (Options.Ranges is null)
                throw ApiException.BadRequest($"output_dtype {name} needs calibration ranges, which this server was not given (skald serve --ranges FILE): " +
                    "use \"float\", \"binary\" or \"ubinary\"", "output_dtype");
        }
        var inputs = Prepare(request.Inputs, request.InputType, Options.Truncate || request.Truncate);
        var embeddings = await batcher.Submit(inputs, cancellationToken).ConfigureAwait(false);
        if (request.Dimensions is int n)
        {
            for (int i = 0; i < embeddings.Length; i++) embeddings[i] = Matryoshka.Truncate(embeddings[i], n);
        }
        if (request.MaxActiveDims is int active) // pruned after the shared batch: the N largest entries of each
        {
            for (int i = 0; i < embeddings.Length; i++)
            {
                var kept = SparseEmbedding.FromDense(embeddings[i], active);
                var row = new float[embeddings[i].Length];
                for (int j = 0; j < kept.Count; j++) row[kept.Indices[j]] = kept.Values[j];
                embeddings[i] = row;
            }
        }
        long tokens = inputs.Encodings.Sum(e => (long)e.Length);
        Metrics.Embedded(inputs.Count, tokens);
        return new EmbeddingResult(embeddings, tokens);
    }

    private ModelInputs Prepare(EmbeddingInputs inputs, string? inputType, bool truncate)
    {
        // input_type picks the Router route and the model's prompt for it, as sentence-transformers' encode_query and
        // encode_document do (SentenceEncoder.ForRole: an LLM2Vec model takes its role's text as an instruction), and an
        // LLM2Vec model's queries take --query-instruction before their prompt
        var encode = Encoder.ForRole(inputType);
        if (Encoder.Folder.Llm2Vec is not null && inputType == "query" && Options.QueryInstruction is { } instruction)
            encode = encode with { Instruction = instruction };
        bool query = inputType == "query" && Encoder.Folder.DefaultRoute is not null
            || inputType is null && Encoder.Folder.DefaultRoute == "query";
        int max = Encoder.MaxSeqLength;
        if (inputs.Texts is { } texts)
        {
            ModelInputs prepared;
            try
            {
                prepared = Encoder.Prepare(texts, encode);
            }
            catch (Exception e) when (e is ModelFormatException or TokenizerException)
            {
                throw ApiException.BadRequest(e.Message, "input");
            }
            for (int i = 0; i < prepared.Count; i++)
            {
                // a tokenizer that adds no special tokens (a decoder's) makes none of a text of whitespace alone: a forward
                // pass cannot run on it alone, and beside others it would pool nothing
                if (prepared.Encodings[i].Length == 0)
                    throw ApiException.BadRequest($"input[{i}] has no tokens: this model's tokenizer makes none of that text (whitespace, or characters it drops) and adds none of its own", "input");
                if (!truncate && prepared.Encodings[i].Truncated) throw TooLong(i, max); // not Overflowing: HF leaves none when words end at max_length
            }
            return prepared;
        }
        var ids = inputs.TokenIds!;
        var encodings = new Encoding[ids.Count];
        int bound = Encoder.Tokenizer.IdBound;
        for (int i = 0; i < ids.Count; i++)
        {
            var row = ids[i];
            if (row.Length > max)
            {
                if (!truncate) throw TooLong(i, max);
                row = row[..max];
            }
            foreach (int id in row)
            {
                if (id >= bound)
                    throw ApiException.BadRequest($"input[{i}] holds token id {id}, outside the model's vocabulary (0..{bound - 1})", "input");
            }
            encodings[i] = FromIds(row);
        }
        return new ModelInputs(encodings, Query: query);
    }

    private static ApiException TooLong(int index, int max) => ApiException.BadRequest(
        $"input[{index}] is longer than the model's maximum of {max} tokens; shorten it, or start the server with truncation on (skald serve --truncate)",
        "input", ApiErrorCode.ContextLengthExceeded);

    private static Encoding FromIds(int[] ids) => new()
    {
        Ids = ids,
        Tokens = new string[ids.Length],
        TypeIds = new int[ids.Length],
        AttentionMask = Enumerable.Repeat(1, ids.Length).ToArray(),
        Offsets = new (int, int)[ids.Length],
        SpecialTokensMask = new int[ids.Length],
    };

    /// <summary>For tests: the batcher (its worker's tape, its count of cancelled requests).</summary>
    internal DynamicBatcher Batcher => batcher;

    /// <summary>Inputs submitted to the batcher whose embeddings are not back yet.</summary>
    public int Pending => batcher.Pending;

    /// <summary>
    /// Call when the host starts stopping: queued and in-flight inputs run at once instead of waiting up to
    /// <see cref="EmbeddingServiceOptions.MaxWait"/> to fill a batch. Requests are still taken until <see cref="Dispose"/>.
    /// </summary>
    public void Drain() => batcher.Drain();

    /// <summary>Finishes queued work and stops the batcher's thread.</summary>
    public void Dispose() => batcher.Dispose();
}
