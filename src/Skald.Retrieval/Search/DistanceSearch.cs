using Skald.Models.Modules;

namespace Skald.Retrieval.Search;

/// <summary>
/// Exact top-k under a distance similarity, the negated Euclidean or Manhattan distance of the raw vectors
/// (sentence-transformers' <c>euclidean_sim</c> and <c>manhattan_sim</c>, what <c>model.similarity</c> is for a model
/// whose <c>similarity_fn_name</c> names one): every query is compared with every row by
/// <see cref="Similarities.Compute(SimilarityFunction, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, the queries split
/// among the cores, each keeping its bounded heap (ties as <see cref="ExactSearch"/> breaks them).
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
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(corpus);
        if (similarity is not (SimilarityFunction.Euclidean or SimilarityFunction.Manhattan))
            throw new ArgumentException($"{Similarities.Name(similarity)} is searched by inner products (ExactSearch)", nameof(similarity));
        if (corpus.Count == 0 || queries.Count == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        k = Math.Min(k, corpus.Count);
        var hits = new Hit[queries.Count][];
        Parallel.For(0, queries.Count, new ParallelOptions { MaxDegreeOfParallelism = Skald.Tensors.Parallelism.MaxThreads }, () => new TopKHeap(k), (i, _, heap) =>
        {
            heap.Clear();
            var q = queries[i];
            for (int r = 0; r < corpus.Count; r++)
                heap.Add(r, Similarities.Compute(similarity, q, corpus[r]), tieKeys is null ? -r : tieKeys[r]);
            hits[i] = heap.ToSortedArray();
            return heap;
        }, _ => { });
        return hits;
    }
}
