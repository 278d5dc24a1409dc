using Microsoft.Extensions.AI;

namespace Skald.Models;

/// <summary>
/// What Skald's Microsoft.Extensions.AI generators share: a <see cref="SentenceEncoder"/> embedding the inputs with
/// default <see cref="EncodeOptions"/>, the metadata, the services; a subclass turns each float vector into its
/// <typeparamref name="TEmbedding"/>. <see cref="EmbeddingGenerationOptions.Dimensions"/> below the model's dimension
/// keeps each embedding's first values at unit length again (OpenAI's <c>dimensions</c>, a Matryoshka model's width).
/// The cancellation token of <see cref="GenerateAsync"/> is honoured between the layers of each forward pass (of
/// <see cref="EncodeOptions.BatchSize"/> texts), as <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/> honours it. A generator owns its encoder when <see cref="OwnsEncoder"/> says so (the
/// generators' <c>Load</c> factories load one and own it): disposing the generator then disposes the encoder. One made
/// over an encoder the caller passed in leaves it alone: disposing the generator leaves the encoder usable. A disposed
/// generator refuses further calls with <see cref="ObjectDisposedException"/>; disposing twice is fine.
/// </summary>
public abstract class EncoderEmbeddingGenerator<TEmbedding> : IEmbeddingGenerator<string, TEmbedding>
    where TEmbedding : Embedding
{
    private readonly SentenceEncoder encoder;
    private readonly EncodeOptions defaults;
    private readonly EmbeddingGeneratorMetadata metadata;
    private int disposed;

    /// <summary>
    /// Wraps an encoder; <paramref name="defaults"/> apply to every call (prompt, batch size). <paramref name="modelId"/>
    /// is the metadata's and each embedding's model id; null: the model's name (<see cref="ModelNames.Of"/>: a hub id's
    /// <c>org/name</c>, else the folder's name). A null <paramref name="encoder"/> is an <see cref="ArgumentNullException"/>.
    /// </summary>
    protected EncoderEmbeddingGenerator(SentenceEncoder encoder, EncodeOptions? defaults, string? modelId)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        this.encoder = encoder;
        this.defaults = defaults ?? new EncodeOptions();
        metadata = new EmbeddingGeneratorMetadata("skald", null, modelId ?? ModelNames.Of(encoder.Source), encoder.Dimension);
    }

    /// <summary>
    /// The key of <see cref="EmbeddingGenerationOptions.AdditionalProperties"/> that names the inputs' role, as
    /// <c>/v1/embeddings</c>' <c>input_type</c>: "query" embeds them as <see cref="SentenceEncoder.EncodeQuery"/> does
    /// (the model's query prompt, a Router's query route), "document" (or "passage") as
    /// <see cref="SentenceEncoder.EncodeDocument"/>; absent or null: with the defaults alone.
    /// </summary>
    public const string InputTypeProperty = "input_type";

    /// <summary>
    /// Whether disposing this generator disposes its encoder too: false for an encoder the caller passed in (the caller
    /// disposes it, after every generator over it), true for one the generator loaded itself (the <c>Load</c> factories).
    /// </summary>
    public bool OwnsEncoder { get; init; }

    /// <summary>The embedding of one input from its float vector.</summary>
    protected abstract TEmbedding Create(float[] vector);

    /// <summary>
    /// The embeddings of <paramref name="values"/>, in order (none: an empty result, without a forward pass). Throws
    /// <see cref="ArgumentNullException"/> for null <paramref name="values"/>, <see cref="ArgumentException"/> naming
    /// <paramref name="values"/> for a null value in them, <see cref="ArgumentOutOfRangeException"/> naming
    /// <paramref name="options"/> for <see cref="EmbeddingGenerationOptions.Dimensions"/> past the model's dimension
    /// (or other than it on a sparse encoder) or an <see cref="InputTypeProperty"/> other than "query" or "document", <see cref="ObjectDisposedException"/> once this generator or its encoder
    /// is disposed, and <see cref="OperationCanceledException"/> (the task cancelled) for a cancelled token.
    /// </summary>
    public Task<GeneratedEmbeddings<TEmbedding>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var texts = values.ToList();
        if (texts.IndexOf(null!) is int missing and >= 0) throw new ArgumentException($"value {missing} is null", nameof(values));
        var encode = defaults;
        if (options?.AdditionalProperties is { } extra && extra.TryGetValue(InputTypeProperty, out var role) && role is not null)
        {
            // as /v1/embeddings' input_type and sentence-transformers' encode_query / encode_document
            if (role is not string name || name is not ("query" or "document" or "passage"))
                throw new ArgumentOutOfRangeException(nameof(options), $"AdditionalProperties[\"{InputTypeProperty}\"] is {role}: use \"query\" or \"document\"");
            encode = encoder.ForRole(name, defaults);
        }
        if (options?.Dimensions is int d && d != encoder.Dimension)
        {
            // As OpenAI's dimensions (and skald serve's): a dense embedding's first d values, at unit length again.
            if (d < 1 || d > encoder.Dimension || encoder.IsSparse)
                throw new ArgumentOutOfRangeException(nameof(options), encoder.IsSparse ? $"this sparse encoder produces {encoder.Dimension}-dimensional embeddings and cannot shorten them to {d}"
                    : $"this model produces {encoder.Dimension}-dimensional embeddings, not {d} (Dimensions may be 1..{encoder.Dimension})");
            encode = encode with { TruncateDim = d, Normalize = true };
        }
        return Task.Run(() =>
        {
            // usage as OpenAI counts it: the tokens the model read (prompt and special tokens included, after truncation),
            // counted from the texts' one tokenization
            var vectors = encoder.Encode(texts, encode, cancellationToken, out long tokens);
            var now = DateTimeOffset.UtcNow;
            var list = vectors.Select(v =>
            {
                var e = Create(v);
                e.CreatedAt = now;
                e.ModelId = metadata.DefaultModelId;
                return e;
            });
            return new GeneratedEmbeddings<TEmbedding>(list) { Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens } };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(encoder)) return encoder;
        return null;
    }

    /// <summary>
    /// Refuses later calls with <see cref="ObjectDisposedException"/>, and disposes the encoder when this generator owns
    /// it (<see cref="OwnsEncoder"/>); an encoder passed in stays usable. Disposing twice does nothing.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0 && OwnsEncoder) encoder.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Loads the model folder (or hub id) at <paramref name="path"/> (<see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, Skald.Tensors.WeightPrecision)"/>)
    /// and wraps it with <paramref name="create"/>, the generator owning the encoder; the encoder is disposed again when
    /// <paramref name="create"/> throws.
    /// </summary>
    private protected static TGenerator LoadOwned<TGenerator>(string path, Func<SentenceEncoder, TGenerator> create)
        where TGenerator : EncoderEmbeddingGenerator<TEmbedding>
    {
        var encoder = SentenceEncoder.Load(path);
        try
        {
            return create(encoder);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }
}
