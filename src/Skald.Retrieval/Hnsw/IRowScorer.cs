namespace Skald.Retrieval.Hnsw;

/// <summary>
/// How a graph walk scores a row against its query (higher is more similar): the float rows' inner product
/// (<see cref="FloatScorer"/>) or a quantized format's own score (<see cref="QuantizedScorer"/>). Implemented by ref
/// structs holding the query, so the walk's generic methods inline the scoring.
/// </summary>
internal interface IRowScorer
{
    /// <summary>The similarity of row <paramref name="row"/> to the query.</summary>
    float Score(int row);

    /// <summary>
    /// The similarities of <paramref name="rows"/> (a node's neighbours) into <paramref name="scores"/>, each exactly
    /// <see cref="Score"/>'s: one call per neighbour list, so a scorer can gather the rows and score them side by side.
    /// </summary>
    void ScoreMany(ReadOnlySpan<int> rows, Span<float> scores);
}
