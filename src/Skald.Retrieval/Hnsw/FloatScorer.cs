using System.Numerics.Tensors;
using Skald.Models.Modules;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// A float query's similarity to the float rows under a graph's <see cref="HnswGraph.Similarity"/>: the inner product
/// (rows normalised alike for cosine), or the negated Euclidean or Manhattan distance of a distance graph
/// (<see cref="Pair"/>).
/// </summary>
internal readonly ref struct FloatScorer(ReadOnlySpan<float> query, FloatRow rows, SimilarityFunction similarity = SimilarityFunction.Dot) : IRowScorer
{
    private readonly ReadOnlySpan<float> query = query;

    /// <summary>
    /// The similarity a graph of <paramref name="similarity"/> links and walks by: the negated distance of
    /// <see cref="Similarities.Compute(SimilarityFunction, ReadOnlySpan{float}, ReadOnlySpan{float})"/> for
    /// Euclidean and Manhattan, the inner product otherwise (cosine rows are stored at unit length).
    /// </summary>
    public static float Pair(SimilarityFunction similarity, ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        similarity is SimilarityFunction.Euclidean or SimilarityFunction.Manhattan ? Similarities.Compute(similarity, a, b) : TensorPrimitives.Dot(a, b);

    /// <inheritdoc />
    public float Score(int row) => Pair(similarity, query, rows(row));

    /// <inheritdoc />
    public void ScoreMany(ReadOnlySpan<int> rows, Span<float> scores)
    {
        for (int i = 0; i < rows.Length; i++) scores[i] = Score(rows[i]);
    }
}
