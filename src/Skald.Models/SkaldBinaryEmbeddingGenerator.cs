using System.Collections;
using Microsoft.Extensions.AI;

namespace Skald.Models;

/// <summary>
/// Microsoft.Extensions.AI adapter for binary embeddings: a <see cref="SentenceEncoder"/> as an
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of <see cref="BinaryEmbedding"/>, bit d set when dimension d
/// of the embedding is above 0 (sentence-transformers' binary / ubinary precision, 32× smaller than float32; vector
/// stores compare them by Hamming distance).
/// </summary>
public sealed class SkaldBinaryEmbeddingGenerator(SentenceEncoder encoder, EncodeOptions? defaults = null, string? modelId = null)
    : EncoderEmbeddingGenerator<BinaryEmbedding>(encoder, defaults, modelId)
{
    /// <summary>The sign bits of <paramref name="embedding"/>: bit d is set when embedding[d] &gt; 0.</summary>
    public static BitArray SignBits(ReadOnlySpan<float> embedding)
    {
        var bits = new BitArray(embedding.Length);
        for (int d = 0; d < embedding.Length; d++) bits[d] = embedding[d] > 0f;
        return bits;
    }

    /// <summary>
    /// A binary generator over the model at <paramref name="path"/> (a folder or hub id), which it owns
    /// (<see cref="EncoderEmbeddingGenerator{TEmbedding}.OwnsEncoder"/>): disposing the generator disposes the encoder.
    /// </summary>
    public static SkaldBinaryEmbeddingGenerator Load(string path, EncodeOptions? defaults = null, string? modelId = null) =>
        LoadOwned(path, encoder => new SkaldBinaryEmbeddingGenerator(encoder, defaults, modelId) { OwnsEncoder = true });

    /// <inheritdoc />
    protected override BinaryEmbedding Create(float[] vector) => new(SignBits(vector));
}
