using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// A quantized query's score against quantized rows in their own format, as <see cref="QuantizedSearch"/>'s first stage
/// scores them (int8 / uint8: the integer dot product of the levels; binary / ubinary: dimension − 2·Hamming distance).
/// </summary>
internal readonly ref struct QuantizedScorer(ReadOnlySpan<byte> query, QuantizedEmbeddings corpus) : IRowScorer
{
    private readonly ReadOnlySpan<byte> query = query;

    /// <inheritdoc />
    public float Score(int row) => QuantizedSearch.Score(query, corpus.Row(row), corpus.Precision, corpus.Dimension);

    /// <inheritdoc />
    public void ScoreMany(ReadOnlySpan<int> rows, Span<float> scores)
    {
        for (int i = 0; i < rows.Length; i++) scores[i] = Score(rows[i]);
    }
}
