using Skald.Models.Modules;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// Approximate top-k search over a <see cref="HnswGraph"/>, hnswlib's searchKnn: from the entry point a greedy walk
/// down the upper layers, then a best-first search of layer 0 keeping max(ef, k) candidates, scored by the graph's
/// <see cref="HnswGraph.Similarity"/> with the float rows (the inner product, or a distance graph's negated Euclidean or
/// Manhattan distance, hnswlib's l2 space walked the same way); the best k of them are returned, ties to the higher tie key, then the lower row. Excluded rows
/// (an index's deleted ones) are walked through but never returned, as hnswlib treats rows marked deleted. Queries run
/// in parallel; a lone query runs on the calling thread.
/// </summary>
public static class HnswSearch
{
    /// <summary>Top-<paramref name="k"/> rows for each query, best first.</summary>
    /// <param name="queries">Query vectors (normalised like the rows for cosine).</param>
    /// <param name="graph">The graph over <paramref name="rows"/>.</param>
    /// <param name="rows">Row i of the corpus (node i of the graph).</param>
    /// <param name="k">Hits per query.</param>
    /// <param name="ef">Candidates kept on layer 0 (at least k are): more is slower and finds more.</param>
    /// <param name="tieKeys">Optional tie-breaker per row (higher wins on equal scores).</param>
    /// <param name="excluded">Rows never returned.</param>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, HnswGraph graph, FloatRow rows, int k, int ef,
        IReadOnlyList<int>? tieKeys = null, IReadOnlySet<int>? excluded = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ef, 1);
        var result = new Hit[queries.Count][];
        void One(int i) => result[i] = Query(queries[i], graph, rows, k, ef, tieKeys, excluded);
        if (queries.Count == 1) One(0);
        else Parallel.For(0, queries.Count, One);
        return result;
    }

    /// <summary>
    /// Top-<paramref name="k"/> rows for each query over a graph whose rows are also held quantized (an index built
    /// with <c>--precision</c>): the walk scores the quantized rows in their own format (the query quantized like them,
    /// as <see cref="QuantizedSearch"/>'s first stage), keeping max(ef, k·<paramref name="rescoreMultiplier"/>)
    /// candidates; the best k·multiplier are then rescored by the float query against <paramref name="floatRows"/>
    /// (or the quantized values when null) and the best k returned. Multiplier 0: the quantized scores are final. A
    /// distance graph (<see cref="HnswGraph.Similarity"/>) walks int8 / uint8 rows by the float query's distance to their
    /// dequantized values (<see cref="DequantizedScorer"/>) and binary rows by Hamming distance, and rescores by the
    /// float rows' distance (int8 / uint8 without float rows: the dequantized values'; binary without: Hamming's).
    /// </summary>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, HnswGraph graph, QuantizedEmbeddings corpus, int k, int ef, int rescoreMultiplier,
        IReadOnlyList<int>? tieKeys = null, IReadOnlySet<int>? excluded = null, FloatRow? floatRows = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ef, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rescoreMultiplier);
        foreach (var q in queries)
            if (q.Length != corpus.Dimension) throw new ArgumentException($"a query has {q.Length} values, the corpus {corpus.Dimension}");
        int first = (int)Math.Min(Math.Max(1, corpus.Rows), (long)k * Math.Max(1, rescoreMultiplier));
        var quantized = EmbeddingQuantizer.Quantize(queries, corpus.Precision, corpus.Ranges);
        var result = new Hit[queries.Count][];
        var similarity = graph.Similarity;
        bool distance = similarity != SimilarityFunction.Dot, levels = EmbeddingQuantizer.NeedsRanges(corpus.Precision);
        void One(int i)
        {
            Hit[] candidates;
            if (distance && levels && graph.Count > 0)
            {
                var scorer = new DequantizedScorer(queries[i], corpus, similarity);
                candidates = Walk(ref scorer, graph, first, Math.Max(ef, first), tieKeys, excluded);
            }
            else
            {
                var scorer = new QuantizedScorer(quantized.Row(i), corpus); // binary rows of a distance graph: Hamming proposes
                candidates = Walk(ref scorer, graph, first, Math.Max(ef, first), tieKeys, excluded);
            }
            if (rescoreMultiplier == 0 || (distance && !levels && floatRows is null))
            {
                result[i] = candidates;
                return;
            }
            result[i] = Rescore(candidates, k, tieKeys, row =>
            {
                if (floatRows is not null) return FloatScorer.Pair(similarity, queries[i], floatRows(row));
                if (!distance) return QuantizedDots.Rescore(queries[i], corpus.Row(row), corpus.Precision);
                return LevelDistance.Score(similarity, queries[i], corpus, row);
            });
        }
        if (queries.Count == 1) One(0);
        else Parallel.For(0, queries.Count, One);
        return result;
    }

    /// <summary>
    /// Top-<paramref name="k"/> rows for each query over a graph whose rows are also held as product-quantized codes
    /// (an index built with <c>--hnsw</c> and <c>--pq</c>): the walk scores the codes from the query's table
    /// (<see cref="ProductQuantizer.Table"/>, as <see cref="PqSearch"/> scores them), keeping
    /// max(ef, k·<paramref name="rescoreMultiplier"/>) candidates; the best k·multiplier are rescored against
    /// <paramref name="floatRows"/> and the best k returned (multiplier 0 or no float rows: the codes' scores are final).
    /// A distance graph's walk scores the codes from the query's distance table (<see cref="ProductQuantizer.DistanceTable"/>),
    /// final scores as <see cref="Skald.Models.Modules.Similarities"/>' of the reconstructions, rescored by the float
    /// rows' distance; codes whose rotation keeps no such distance are an <see cref="ArgumentException"/>.
    /// </summary>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, HnswGraph graph, ProductCodes codes, int k, int ef, int rescoreMultiplier,
        IReadOnlyList<int>? tieKeys = null, IReadOnlySet<int>? excluded = null, FloatRow? floatRows = null) =>
        TopK(queries, graph, codes, k, ef, rescoreMultiplier, tieKeys, excluded, floatRows, gathered: true);

    /// <summary>
    /// <see cref="TopK(IReadOnlyList{float[]}, HnswGraph, ProductCodes, int, int, int, IReadOnlyList{int}?, IReadOnlySet{int}?, FloatRow?)"/>
    /// with each neighbour list's codes scored together (<paramref name="gathered"/>, the default) or row by row (the
    /// scalar twin, for tests and the bench): the same scores, so the same hits.
    /// </summary>
    internal static Hit[][] TopK(IReadOnlyList<float[]> queries, HnswGraph graph, ProductCodes codes, int k, int ef, int rescoreMultiplier,
        IReadOnlyList<int>? tieKeys, IReadOnlySet<int>? excluded, FloatRow? floatRows, bool gathered)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ef, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rescoreMultiplier);
        if (codes.Residual) throw new ArgumentException("residual codes belong to IVF lists, not to a graph", nameof(codes));
        var pq = codes.Quantizer;
        foreach (var q in queries)
            if (q.Length != pq.Dimension) throw new ArgumentException($"a query has {q.Length} values, the codes {pq.Dimension}");
        bool rescore = rescoreMultiplier > 0 && floatRows is not null;
        int first = (int)Math.Min(Math.Max(1, codes.Rows), rescore ? (long)k * rescoreMultiplier : k);
        var similarity = graph.Similarity;
        bool distance = similarity != SimilarityFunction.Dot;
        if (distance && pq.DistanceRefusal(similarity) is { } refusal) throw new ArgumentException(refusal, nameof(codes));
        var result = new Hit[queries.Count][];
        void One(int i)
        {
            Hit[] candidates = [];
            float offset = 0;
            if (graph.Count > 0)
            {
                var walker = graph.RentWalker(); // its table and scratch are kept for the next query it walks
                try
                {
                    var table = walker.Table(pq.Subspaces * pq.Centroids);
                    if (distance) offset = -pq.DistanceTable(queries[i], similarity, table);
                    else pq.Table(queries[i], table);
                    var scorer = new ProductScorer(table, codes, walker.Bytes(ProductScorer.ScratchBytes(codes)), gathered);
                    candidates = Walk(ref scorer, graph, walker, first, Math.Max(ef, first), tieKeys, excluded);
                }
                finally
                {
                    graph.ReturnWalker(walker);
                }
            }
            result[i] = rescore ? Rescore(candidates, k, tieKeys, row => FloatScorer.Pair(similarity, queries[i], floatRows!(row)))
                : distance ? PqSearch.AsDistances(similarity, candidates, offset) : candidates;
        }
        if (queries.Count == 1) One(0);
        else Parallel.For(0, queries.Count, One);
        return result;
    }

    /// <summary>The best <paramref name="k"/> of a walk's candidates by <paramref name="score"/>, on this thread (a lone
    /// query stays on the caller's).</summary>
    private static Hit[] Rescore(Hit[] candidates, int k, IReadOnlyList<int>? tieKeys, Func<int, float> score)
    {
        var heap = new TopKHeap(Math.Max(1, Math.Min(k, candidates.Length)));
        foreach (var hit in candidates) heap.Add(hit.Index, score(hit.Index), tieKeys is null ? -hit.Index : tieKeys[hit.Index]);
        return heap.ToSortedArray();
    }

    private static Hit[] Query(ReadOnlySpan<float> query, HnswGraph graph, FloatRow rows, int k, int ef,
        IReadOnlyList<int>? tieKeys, IReadOnlySet<int>? excluded)
    {
        if (graph.Count == 0) return [];
        if (query.Length != rows(graph.EntryPoint).Length)
            throw new ArgumentException($"a query of {query.Length} values for {rows(graph.EntryPoint).Length}-d rows", nameof(query));
        var scorer = new FloatScorer(query, rows, graph.Similarity);
        return Walk(ref scorer, graph, k, ef, tieKeys, excluded);
    }

    /// <summary>One query's walk: greedy down the upper layers, layer 0 keeping max(ef, k), the best k of those.</summary>
    private static Hit[] Walk<TScorer>(ref TScorer scorer, HnswGraph graph, int k, int ef, IReadOnlyList<int>? tieKeys, IReadOnlySet<int>? excluded)
        where TScorer : IRowScorer, allows ref struct
    {
        if (graph.Count == 0) return [];
        var walker = graph.RentWalker();
        try
        {
            return Walk(ref scorer, graph, walker, k, ef, tieKeys, excluded);
        }
        finally
        {
            graph.ReturnWalker(walker);
        }
    }

    /// <summary><see cref="Walk{TScorer}(ref TScorer, HnswGraph, int, int, IReadOnlyList{int}?, IReadOnlySet{int}?)"/> with a walker the caller rented (a graph with rows).</summary>
    private static Hit[] Walk<TScorer>(ref TScorer scorer, HnswGraph graph, HnswWalker walker, int k, int ef, IReadOnlyList<int>? tieKeys,
        IReadOnlySet<int>? excluded)
        where TScorer : IRowScorer, allows ref struct
    {
        int node = graph.EntryPoint;
        float similarity = scorer.Score(node);
        for (int layer = graph.TopLevel; layer > 0; layer--)
            walker.Greedy(graph, ref scorer, layer, false, ref node, ref similarity);
        walker.SearchLayer(graph, ref scorer, node, similarity, 0, Math.Max(ef, k), false, excluded);
        var heap = new TopKHeap(k);
        while (walker.Results.TryDequeue(out int row, out float score)) heap.Add(row, score, tieKeys?[row] ?? 0);
        return heap.ToSortedArray();
    }
}
