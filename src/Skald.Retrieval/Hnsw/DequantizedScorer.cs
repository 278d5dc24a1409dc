using Skald.Models.Modules;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// A float query's negated Euclidean or Manhattan distance to int8 / uint8 rows' values, their levels read at their
/// middles (<see cref="EmbeddingQuantizer.Dequantize"/>), as <see cref="QuantizedDistanceSearch"/> scores them: how a
/// distance graph over quantized rows is walked. Each row is compared with the query as it is read
/// (<see cref="LevelDistance"/>), no row buffer.
/// </summary>
internal readonly ref struct DequantizedScorer(ReadOnlySpan<float> query, QuantizedEmbeddings corpus, SimilarityFunction similarity) : IRowScorer
{
    private readonly ReadOnlySpan<float> query = query;

    /// <inheritdoc />
    public float Score(int r) => LevelDistance.Score(similarity, query, corpus, r);

    /// <inheritdoc />
    public void ScoreMany(ReadOnlySpan<int> rows, Span<float> scores)
    {
        for (int i = 0; i < rows.Length; i++) scores[i] = Score(rows[i]);
    }
}
