using Microsoft.Extensions.AI;

namespace Skald.Models;

/// <summary>
/// Microsoft.Extensions.AI adapter: a <see cref="SentenceEncoder"/> as an
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, for code written against that abstraction.
/// </summary>
public sealed class SkaldEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly SentenceEncoder encoder;
    private readonly EncodeOptions defaults;
    private readonly EmbeddingGeneratorMetadata metadata;

    /// <summary>Wraps an encoder; <paramref name="defaults"/> apply to every call (prompt, batch size).</summary>
    public SkaldEmbeddingGenerator(SentenceEncoder encoder, EncodeOptions? defaults = null, string? modelId = null)
    {
        this.encoder = encoder;
        this.defaults = defaults ?? new EncodeOptions();
        metadata = new EmbeddingGeneratorMetadata("skald", null, modelId ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(encoder.Folder.Path)), encoder.Dimension);
    }

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.ToList();
        if (options?.Dimensions is int d && d != encoder.Dimension)
            throw new NotSupportedException($"this model produces {encoder.Dimension}-dimensional embeddings, not {d}");
        return Task.Run(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var vectors = encoder.Encode(texts, defaults);
            var now = DateTimeOffset.UtcNow;
            var list = vectors.Select(v => new Embedding<float>(v) { CreatedAt = now, ModelId = metadata.DefaultModelId });
            return new GeneratedEmbeddings<Embedding<float>>(list);
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

    /// <inheritdoc />
    public void Dispose() { }
}
