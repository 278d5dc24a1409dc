using Microsoft.Extensions.AI;

namespace Skald.Models;

/// <summary>
/// Microsoft.Extensions.AI adapter: a <see cref="SentenceEncoder"/> as an
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, for code written against that abstraction.
/// </summary>
public sealed class SkaldEmbeddingGenerator(SentenceEncoder encoder, EncodeOptions? defaults = null, string? modelId = null)
    : EncoderEmbeddingGenerator<Embedding<float>>(encoder, defaults, modelId)
{
    /// <inheritdoc />
    protected override Embedding<float> Create(float[] vector) => new(vector);
}
