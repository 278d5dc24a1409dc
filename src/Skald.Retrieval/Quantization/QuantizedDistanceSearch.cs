using Skald.Models.Modules;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// Exact top-k over int8 / uint8 embeddings under a distance similarity, the negated Euclidean or Manhattan distance
/// (<see cref="DistanceSearch"/>'s functions) of each float query to each row's values
/// (<see cref="EmbeddingQuantizer.Dequantize"/>: every level at the middle of the values it holds). Upstream sentence-transformers'
/// quantized search knows inner products and Hamming distances only (<c>semantic_search_faiss</c>: <c>IndexFlatIP</c>,
/// <c>IndexBinaryFlat</c>; <c>semantic_search_usearch</c>: metrics <c>ip</c>, <c>hamming</c>; sentence_transformers/quantization.py
/// at https://github.com/UKPLab/sentence-transformers/blob/2b29783f9a3c9a791805f6a51d1dbbc68847c3c0/sentence_transformers/quantization.py),
/// so a distance model's quantized search is Skald's own: its levels keep each value to within a step, enough to compute
/// the distance itself. Binary rows keep only signs, no distance: they are searched by <see cref="QuantizedSearch"/>'s
/// Hamming distance. Scores are <see cref="Similarities.Compute(SimilarityFunction, ReadOnlySpan{float}, ReadOnlySpan{float})"/>'s
/// of the query and the dequantized row, computed without the row buffer (<see cref="LevelDistance"/>: each level's
/// value made in the lanes and compared at once). The corpus is scanned in stripes of 4,096 rows claimed by the cores
/// (<see cref="QuantizedSearch.Striped"/>: one core below 8,192 rows); ties as <see cref="ExactSearch"/> breaks them.
/// </summary>
public static class QuantizedDistanceSearch
{
    /// <summary>Top-<paramref name="k"/> rows of <paramref name="corpus"/> for each float query, best (nearest) first.</summary>
    /// <param name="similarity"><see cref="SimilarityFunction.Euclidean"/> or <see cref="SimilarityFunction.Manhattan"/>.</param>
    /// <param name="queries">Float query embeddings (raw, as the corpus was before quantizing).</param>
    /// <param name="corpus">int8 or uint8 rows.</param>
    /// <param name="k">Hits per query.</param>
    /// <param name="tieKeys">Optional tie-breaker per row (higher wins on equal scores); default: lower row wins.</param>
    public static Hit[][] TopK(SimilarityFunction similarity, IReadOnlyList<float[]> queries, QuantizedEmbeddings corpus, int k,
        IReadOnlyList<int>? tieKeys = null)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(corpus);
        if (similarity is not (SimilarityFunction.Euclidean or SimilarityFunction.Manhattan))
            throw new ArgumentException($"{Similarities.Name(similarity)} is searched by inner products (QuantizedSearch)", nameof(similarity));
        if (!EmbeddingQuantizer.NeedsRanges(corpus.Precision))
            throw new ArgumentException($"{EmbeddingQuantizer.Name(corpus.Precision)} rows hold no {Similarities.Name(similarity)} distance (int8 and uint8 do)", nameof(corpus));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (corpus.Rows == 0 || queries.Count == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        foreach (var q in queries)
            if (q.Length != corpus.Dimension) throw new ArgumentException($"a query has {q.Length} values, the corpus {corpus.Dimension}", nameof(queries));
        return QuantizedSearch.Striped<object?>(queries.Count, corpus.Rows, Math.Min(k, corpus.Rows), () => null, (_, r0, r1, heaps) =>
        {
            for (int r = r0; r < r1; r++)
            {
                for (int i = 0; i < heaps.Length; i++)
                {
                    float score = LevelDistance.Score(similarity, queries[i], corpus, r);
                    if (score < heaps[i].Threshold) continue;
                    heaps[i].Add(r, score, tieKeys is null ? -r : tieKeys[r]);
                }
            }
        });
    }
}
