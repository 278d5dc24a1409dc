using System.Numerics.Tensors;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>A float query's inner product with the float rows (normalised alike for cosine).</summary>
internal readonly ref struct FloatScorer(ReadOnlySpan<float> query, FloatRow rows) : IRowScorer
{
    private readonly ReadOnlySpan<float> query = query;

    /// <inheritdoc />
    public float Score(int row) => TensorPrimitives.Dot(query, rows(row));

    /// <inheritdoc />
    public void ScoreMany(ReadOnlySpan<int> rows, Span<float> scores)
    {
        for (int i = 0; i < rows.Length; i++) scores[i] = Score(rows[i]);
    }
}
