using Skald.Retrieval.Search;
using Skald.Tensors.Kernels;

namespace Skald.Retrieval.Index;

/// <summary>
/// Exact late-interaction search over an index's token vectors: every live row scored by MaxSim against the query
/// in the rows' own format (<see cref="MappedTokenRows.Score"/>: <see cref="MaxSim.Score"/> over float32 rows,
/// <see cref="MaxSimQuantized"/> over float16 or int8 ones; SIMD), blocks of <see cref="BlockRows"/> rows in parallel, each worker keeping its own
/// bounded heap (merged at the end), so the scan allocates nothing per row: a row's vectors are read where they lie in
/// the mapping. Equal scores keep the earlier row (the index's tie keys).
/// </summary>
internal static class MaxSimScan
{
    /// <summary>Rows a worker takes at a time.</summary>
    public const int BlockRows = 256;

    /// <summary>The best <paramref name="k"/> rows of <paramref name="rows"/> for <paramref name="query"/> [query tokens × dim], skipping <paramref name="deleted"/> and rows <paramref name="allowed"/> does not pass.</summary>
    public static Hit[] TopK(float[] query, MappedTokenRows rows, int k, IReadOnlySet<int> deleted, RowFilter? allowed, int[] tieKeys)
    {
        int n = rows.Rows;
        if (n == 0 || k < 1) return [];
        k = Math.Min(k, n);
        var best = new TopKHeap(k);
        var gate = new Lock();
        Parallel.For(0, (n + BlockRows - 1) / BlockRows, () => new TopKHeap(k), (block, _, heap) =>
        {
            int end = Math.Min(n, (block + 1) * BlockRows);
            for (int r = block * BlockRows; r < end; r++)
            {
                if (deleted.Contains(r) || (allowed is not null && !allowed.Passes(r))) continue;
                float score = rows.Score(query, r);
                if (score >= heap.Threshold) heap.Add(r, score, tieKeys[r]);
            }
            return heap;
        }, heap =>
        {
            lock (gate) heap.AddAllTo(best);
        });
        return best.ToSortedArray();
    }
}
