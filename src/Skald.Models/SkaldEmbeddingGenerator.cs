using Microsoft.Extensions.AI;

namespace Skald.Models;

/// <summary>
/// Microsoft.Extensions.AI adapter: a <see cref="SentenceEncoder"/> as an
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, for code written against that abstraction.
/// </summary>
public sealed class SkaldEmbeddingGenerator(SentenceEncoder encoder, EncodeOptions? defaults = null, string? modelId = null)
    : EncoderEmbeddingGenerator<Embedding<float>>(encoder, defaults, modelId)
{
    /// <summary>
    /// A generator over the model at <paramref name="path"/> (a folder or hub id, as <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, Skald.Tensors.WeightPrecision)"/>
    /// takes it), which it owns (<see cref="EncoderEmbeddingGenerator{TEmbedding}.OwnsEncoder"/>): disposing the
    /// generator disposes the encoder, as a DI container does at shutdown with what its factory made.
    /// </summary>
    public static SkaldEmbeddingGenerator Load(string path, EncodeOptions? defaults = null, string? modelId = null) =>
        LoadOwned(path, encoder => new SkaldEmbeddingGenerator(encoder, defaults, modelId) { OwnsEncoder = true });

    /// <inheritdoc />
    protected override Embedding<float> Create(float[] vector) => new(vector);
}
