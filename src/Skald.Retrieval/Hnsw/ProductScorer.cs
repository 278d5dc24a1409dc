using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// A float query's score against product-quantized rows from its table of centroid inner products, as
/// <see cref="PqSearch"/> scores them (<see cref="ProductCodes.Score"/>: Σₘ T[m·K + cₘ]).
/// </summary>
internal readonly ref struct ProductScorer(ReadOnlySpan<float> table, ProductCodes codes) : IRowScorer
{
    private readonly ReadOnlySpan<float> table = table;

    /// <inheritdoc />
    public float Score(int row) => codes.Score(row, table);
}
