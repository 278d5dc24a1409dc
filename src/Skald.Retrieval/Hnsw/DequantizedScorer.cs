using Skald.Models.Modules;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// A float query's negated Euclidean or Manhattan distance to int8 / uint8 rows read back at their levels' middles
/// (<see cref="EmbeddingQuantizer.Dequantize"/>), as <see cref="QuantizedDistanceSearch"/> scores them: how a distance
/// graph over quantized rows is walked. Each row is dequantized into <paramref name="row"/> (the walker's scratch).
/// </summary>
internal readonly ref struct DequantizedScorer(ReadOnlySpan<float> query, QuantizedEmbeddings corpus, SimilarityFunction similarity, Span<float> row) : IRowScorer
{
    private readonly ReadOnlySpan<float> query = query;
    private readonly Span<float> row = row;

    /// <inheritdoc />
    public float Score(int r)
    {
        EmbeddingQuantizer.Dequantize(corpus, r, row);
        return Similarities.Compute(similarity, query, row);
    }

    /// <inheritdoc />
    public void ScoreMany(ReadOnlySpan<int> rows, Span<float> scores)
    {
        for (int i = 0; i < rows.Length; i++) scores[i] = Score(rows[i]);
    }
}
