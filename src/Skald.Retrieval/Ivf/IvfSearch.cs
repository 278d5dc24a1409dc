using Skald.Models.Modules;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Ivf;

/// <summary>
/// Approximate top-k search over an inverted-file index (<see cref="InvertedLists"/>), faiss's <c>IndexIVFFlat</c>
/// search: each query probes its <c>probes</c> nearest lists and scores only their rows, by inner product with the
/// float rows (<see cref="RowDots"/>, stripes of 256 rows) or, in an index of quantized embeddings, by the format's
/// own score as <see cref="QuantizedSearch"/> does, the best k·multiplier of them rescored. Probing every list gives
/// exactly <see cref="ExactSearch"/>'s hits. Lists of a distance index (<see cref="InvertedLists.ByDistance"/>) rank the
/// probed rows by the negated Euclidean or Manhattan distance instead (<see cref="Similarities"/>'; int8 / uint8 rows
/// read back at their levels' middles as <see cref="QuantizedDistanceSearch"/> reads them, binary rows proposed by their
/// Hamming distance and rescored by the float rows' distance), so probing every list gives <see cref="DistanceSearch"/>'s
/// hits. Ties go to the higher tie key, then the lower row. Queries run in
/// parallel; a lone query's lists are shared among the cores once they hold enough rows to pay for the fork.
/// </summary>
public static class IvfSearch
{
    private const int Stripe = 256;

    /// <summary>Top-<paramref name="k"/> rows for each query among its <paramref name="probes"/> nearest lists, best first.</summary>
    /// <param name="queries">Query vectors (normalised like the rows for cosine).</param>
    /// <param name="lists">The index's lists; row order of <paramref name="rows"/> follows them.</param>
    /// <param name="probes">Lists scanned per query (at least 1; more than the lists scans them all).</param>
    /// <param name="rows">The float rows by block.</param>
    /// <param name="k">Hits per query.</param>
    /// <param name="tieKeys">Optional tie-breaker per row (higher wins on equal scores).</param>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, InvertedLists lists, int probes, FloatBlock rows, int k,
        IReadOnlyList<int>? tieKeys = null)
    {
        Check(queries, lists, probes, k);
        int dim = lists.Dimension;
        var similarity = lists.Similarity;
        bool distance = lists.ByDistance;
        return Each(queries, lists, probes, Math.Min(k, Math.Max(1, lists.Rows)), (i, l, heap) =>
        {
            var q = queries[i];
            Span<float> stripe = stackalloc float[Stripe];
            int end = lists.Start(l + 1);
            for (int s0 = lists.Start(l); s0 < end; s0 += Stripe)
            {
                int n = Math.Min(Stripe, end - s0);
                var block = rows(s0, n);
                if (!distance)
                {
                    RowDots.Offer(q, block, dim, s0, stripe[..n], heap, tieKeys);
                    continue;
                }
                for (int j = 0; j < n; j++)
                    heap.Offer(s0 + j, Similarities.Compute(similarity, q, block.Slice(j * dim, dim)), tieKeys);
            }
        });
    }

    /// <summary>
    /// As <see cref="TopK(IReadOnlyList{float[]}, InvertedLists, int, FloatBlock, int, IReadOnlyList{int}?)"/> over
    /// quantized rows (in the lists' row order): the probed rows scored in the quantized format, the best
    /// k·<paramref name="rescoreMultiplier"/> rescored as <see cref="QuantizedSearch.Rescore"/> does (0: the quantized
    /// scores are final), against <paramref name="floatRows"/> when given. Distance lists score int8 / uint8 rows by the
    /// distance of their read-back values and rescore by the float rows' distance (the read-back values' without float
    /// rows); binary rows by Hamming distance, rescored by the float rows' distance (without float rows the Hamming
    /// scores are final).
    /// </summary>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, InvertedLists lists, int probes, QuantizedEmbeddings corpus, int k,
        int rescoreMultiplier, IReadOnlyList<int>? tieKeys = null, FloatRow? floatRows = null)
    {
        Check(queries, lists, probes, k);
        ArgumentOutOfRangeException.ThrowIfNegative(rescoreMultiplier);
        if (corpus.Precision == EmbeddingPrecision.Float32) throw new ArgumentException("float32 rows are searched by the float overload", nameof(corpus));
        if (corpus.Rows != lists.Rows) throw new ArgumentException($"{corpus.Rows} quantized rows, the lists hold {lists.Rows}", nameof(corpus));
        int first = (int)Math.Min(Math.Max(1, corpus.Rows), (long)k * Math.Max(1, rescoreMultiplier));
        if (lists.ByDistance && EmbeddingQuantizer.NeedsRanges(corpus.Precision))
        {
            var similarity = lists.Similarity;
            var read = Each(queries, lists, probes, first, (i, l, heap) =>
            {
                for (int r = lists.Start(l), end = lists.Start(l + 1); r < end; r++)
                    heap.Offer(r, LevelDistance.Score(similarity, queries[i], corpus, r), tieKeys);
            });
            if (rescoreMultiplier == 0) return read;
            return QuantizedSearch.RescoreBy(queries.Count, read, k, tieKeys, (qi, r) =>
            {
                if (floatRows is not null) return Similarities.Compute(similarity, queries[qi], floatRows(r));
                return LevelDistance.Score(similarity, queries[qi], corpus, r);
            });
        }
        var quantized = EmbeddingQuantizer.Quantize(queries, corpus.Precision, corpus.Ranges);
        var candidates = Each(queries, lists, probes, first, (i, l, heap) =>
            QuantizedSearch.ScanRows(quantized.Row(i), corpus, lists.Start(l), lists.Start(l + 1), heap, tieKeys));
        if (rescoreMultiplier == 0) return candidates;
        if (lists.ByDistance) // binary rows: the Hamming distance proposed, the float rows' distance ranks
            return floatRows is null ? candidates
                : QuantizedSearch.RescoreBy(queries.Count, candidates, k, tieKeys, (qi, r) => Similarities.Compute(lists.Similarity, queries[qi], floatRows(r)));
        return QuantizedSearch.Rescore(queries, corpus, candidates, k, tieKeys, floatRows);
    }

    private static void Check(IReadOnlyList<float[]> queries, InvertedLists lists, int probes, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(probes, 1);
        foreach (var q in queries)
            if (q.Length != lists.Dimension) throw new ArgumentException($"a query has {q.Length} values, the index {lists.Dimension}", nameof(queries));
    }

    /// <summary>
    /// Runs <paramref name="scan"/> (query index, list, heap) for each query over each of its probed lists into a heap
    /// of <paramref name="k"/>. Queries run in parallel; a lone query whose probed lists hold at least
    /// <see cref="SplitElements"/> values has its lists claimed one at a time by the cores, each into its own heap, the
    /// heaps merged (the hits do not depend on which core scanned a list: <see cref="TopKHeap"/> orders them totally).
    /// </summary>
    internal static Hit[][] Each(IReadOnlyList<float[]> queries, InvertedLists lists, int probes, int k,
        Action<int, int, TopKHeap> scan)
    {
        var result = new Hit[queries.Count][];
        if (lists.Rows == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        int[] Probed(int i)
        {
            var probed = new int[Math.Min(probes, lists.Lists)];
            lists.Probe(queries[i], probed);
            return probed;
        }
        void One(int i)
        {
            var heap = new TopKHeap(k);
            foreach (int l in Probed(i)) scan(i, l, heap);
            result[i] = heap.ToSortedArray();
        }
        if (queries.Count > 1)
        {
            Parallel.For(0, queries.Count, One);
            return result;
        }
        var probed = Probed(0);
        long values = probed.Sum(l => (long)(lists.Start(l + 1) - lists.Start(l))) * lists.Dimension;
        int workers = Math.Min(Skald.Tensors.Parallelism.MaxThreads, probed.Length);
        if (values < SplitElements || workers < 2)
        {
            One(0);
            return result;
        }
        var heaps = new TopKHeap[workers];
        int next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var heap = heaps[w] = new TopKHeap(k);
            int c;
            while ((c = Interlocked.Increment(ref next)) < probed.Length) scan(0, probed[c], heap);
        });
        var merged = new TopKHeap(k);
        foreach (var heap in heaps) heap.AddAllTo(merged);
        result[0] = merged.ToSortedArray();
        return result;
    }

    /// <summary>Values (rows × dimension) a lone query's probed lists must hold before its scan is split among the
    /// cores (4M: about a millisecond of one core's reading, against tens of microseconds for the fork).</summary>
    private const long SplitElements = 1L << 22;
}
