using System.Numerics.Tensors;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// Approximate top-k search over a <see cref="HnswGraph"/>, hnswlib's searchKnn: from the entry point a greedy walk
/// down the upper layers, then a best-first search of layer 0 keeping max(ef, k) candidates, scored by inner product
/// with the float rows; the best k of them are returned, ties to the higher tie key, then the lower row. Excluded rows
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

    private static Hit[] Query(ReadOnlySpan<float> query, HnswGraph graph, FloatRow rows, int k, int ef,
        IReadOnlyList<int>? tieKeys, IReadOnlySet<int>? excluded)
    {
        if (graph.Count == 0) return [];
        int node = graph.EntryPoint;
        if (query.Length != rows(node).Length) throw new ArgumentException($"a query of {query.Length} values for {rows(node).Length}-d rows", nameof(query));
        var walker = graph.RentWalker();
        try
        {
            float similarity = TensorPrimitives.Dot(query, rows(node));
            for (int layer = graph.TopLevel; layer > 0; layer--)
                walker.Greedy(graph, rows, query, layer, false, ref node, ref similarity);
            walker.SearchLayer(graph, rows, query, node, similarity, 0, Math.Max(ef, k), false, excluded);
            var heap = new TopKHeap(k);
            while (walker.Results.TryDequeue(out int row, out float score)) heap.Add(row, score, tieKeys?[row] ?? 0);
            return heap.ToSortedArray();
        }
        finally
        {
            graph.ReturnWalker(walker);
        }
    }
}
