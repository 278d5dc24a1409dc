using Skald.Models.Modules;

namespace Skald.Retrieval.Search;

/// <summary>
/// Exact top-k under a distance similarity, the negated Euclidean or Manhattan distance of the raw vectors
/// (sentence-transformers' <c>euclidean_sim</c> and <c>manhattan_sim</c>, what <c>model.similarity</c> is for a model
/// whose <c>similarity_fn_name</c> names one): every query is compared with every row by
/// <see cref="Similarities.Compute(SimilarityFunction, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, the rows scanned in
/// stripes of 4,096 rows claimed by the cores (<see cref="Quantization.QuantizedSearch"/>'s claims: a lone query is spread
/// over the threads too; below 8,192 rows one core scans them all), each core keeping its bounded heap per query, the heaps merged (ties as <see cref="ExactSearch"/>
/// breaks them, so the hits do not depend on which core scanned a row).
/// </summary>
public static class DistanceSearch
{
    /// <summary>Top-<paramref name="k"/> rows of <paramref name="corpus"/> for each query under <paramref name="similarity"/>, best first.</summary>
    /// <param name="similarity"><see cref="SimilarityFunction.Euclidean"/> or <see cref="SimilarityFunction.Manhattan"/>.</param>
    /// <param name="queries">Query vectors.</param>
    /// <param name="corpus">Corpus vectors of the queries' width.</param>
    /// <param name="k">Hits per query; more than the corpus size returns the whole corpus ranked.</param>
    /// <param name="tieKeys">Optional tie-breaker per corpus row (higher wins on equal scores); default: lower row index wins.</param>
    public static Hit[][] TopK(SimilarityFunction similarity, IReadOnlyList<float[]> queries, IReadOnlyList<float[]> corpus, int k,
        IReadOnlyList<int>? tieKeys = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        return TopK(similarity, queries, corpus.Count, r => corpus[r], k, tieKeys);
    }

    /// <summary>
    /// Top-<paramref name="k"/> of rows [0, <paramref name="rows"/>) of <paramref name="row"/> (e.g. an index's
    /// memory-mapped rows) for each query under <paramref name="similarity"/>, best first; as
    /// <see cref="TopK(SimilarityFunction, IReadOnlyList{float[]}, IReadOnlyList{float[]}, int, IReadOnlyList{int}?)"/>.
    /// </summary>
    public static Hit[][] TopK(SimilarityFunction similarity, IReadOnlyList<float[]> queries, int rows, Quantization.FloatRow row, int k,
        IReadOnlyList<int>? tieKeys = null)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(row);
        if (similarity is not (SimilarityFunction.Euclidean or SimilarityFunction.Manhattan))
            throw new ArgumentException($"{Similarities.Name(similarity)} is searched by inner products (ExactSearch)", nameof(similarity));
        if (rows == 0 || queries.Count == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return Quantization.QuantizedSearch.Striped(queries.Count, rows, Math.Min(k, rows), (i, r0, r1, heap) =>
        {
            var q = queries[i];
            for (int r = r0; r < r1; r++) heap.Offer(r, Similarities.Compute(similarity, q, row(r)), tieKeys);
        });
    }
}
