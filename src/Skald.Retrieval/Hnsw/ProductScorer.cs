using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// A float query's score against product-quantized rows from its table of centroid inner products, as
/// <see cref="PqSearch"/> scores them (<see cref="ProductCodes.Score"/>: Σₘ T[m·K + cₘ]). A neighbour list is scored in
/// one call (<see cref="NeighbourScores"/>: the rows' codes gathered side by side, the table looked up eight rows at a
/// time), with the same bits as scoring row by row; <paramref name="gathered"/> false keeps row by row (the scalar twin,
/// for tests and the bench).
/// </summary>
internal readonly ref struct ProductScorer(ReadOnlySpan<float> table, ProductCodes codes, Span<byte> scratch, bool gathered = true) : IRowScorer
{
    private readonly ReadOnlySpan<float> table = table;
    private readonly Span<byte> scratch = scratch;

    /// <summary>Scratch bytes <see cref="ScoreMany"/> needs for <paramref name="codes"/> (<see cref="NeighbourScores.ScratchBytes"/>).</summary>
    public static int ScratchBytes(ProductCodes codes) => NeighbourScores.ScratchBytes(codes.Quantizer.Subspaces);

    /// <inheritdoc />
    public float Score(int row) => codes.Score(row, table);

    /// <inheritdoc />
    public void ScoreMany(ReadOnlySpan<int> rows, Span<float> scores)
    {
        if (gathered) NeighbourScores.Score(codes, rows, table, scratch, scores);
        else NeighbourScores.ScoreScalar(codes, rows, table, scores);
    }
}
