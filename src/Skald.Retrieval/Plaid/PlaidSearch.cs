using Skald.Retrieval.Index;
using Skald.Retrieval.Search;
using Skald.Tensors.Gemm;

namespace Skald.Retrieval.Plaid;

/// <summary>
/// PLAID's search over a PLAID index (ColBERTv2 at 501c29d9e0b7f7b393e36c4177ec2b141a253114: candidate generation in
/// <c>colbert/search/candidate_generation.py</c>, the CPU pruning of <c>colbert/search/filter_pids.cpp</c>, the final
/// ranking of <c>index_storage.py</c> <c>score_pids</c>), for one query of token vectors Q:
/// <list type="number">
/// <item>centroid scores S = C · Qᵀ (one GEMM); each query token's <see cref="PlaidSearchOptions.Cells"/> best centroids;
/// the candidates are every live row in those centroids' lists (<see cref="CellLists"/>);</item>
/// <item>centroid interaction with pruning: a row's approximate score is Σ over query tokens of the largest S of its
/// tokens' centroids, counting only centroids some query token scores at least the threshold (a token with none
/// contributes −9999, as upstream); the best <see cref="PlaidSearchOptions.Documents"/> rows go on;</item>
/// <item>the same without pruning over those; the best Documents / 4 go on;</item>
/// <item>those rows decompressed (<see cref="ResidualCodec.Decompress"/>) and scored by MaxSim; the best k returned.</item>
/// </list>
/// Approximate twice over (candidates, and decompressed vectors); recall against the exact scan is measured in
/// <c>PlaidIndexTests</c>. Per query it allocates its score matrix and marks; per row nothing (a worker's max array and
/// seen-centroid stamps are reused, rows are decoded into a per-thread buffer). Equal scores keep the earlier row.
/// </summary>
internal static class PlaidSearch
{
    /// <summary>Upstream's start value of a query token's maximum: what a token adds when none of a row's centroids pass the threshold.</summary>
    private const float Floor = -9999f;

    /// <summary>The best <paramref name="k"/> rows of PLAID index <paramref name="rows"/> for <paramref name="query"/> [query tokens × dim].</summary>
    public static Hit[] TopK(float[] query, MappedTokenRows rows, int k, IReadOnlySet<int> deleted, RowFilter? allowed, int[] tieKeys, PlaidSearchOptions options)
    {
        var codec = rows.Codec!;
        var lists = rows.Lists!;
        int dim = codec.Dimension, nq = query.Length / dim, count = codec.CentroidCount;
        if (rows.Rows == 0 || k < 1 || nq == 0) return [];
        options = options.For(k);
        var scores = new float[count * nq]; // S[c × q]
        Blas.Sgemm(false, true, count, nq, dim, 1f, codec.Centroids, dim, query, dim, 0f, scores, nq);
        var candidates = Candidates(scores, count, nq, options.Cells, lists, rows.Rows, deleted, allowed);
        var pass = new bool[count];
        float threshold = options.CentroidScoreThreshold!.Value;
        for (int c = 0; c < count; c++)
            for (int q = 0; q < nq; q++)
                if (scores[c * nq + q] >= threshold)
                {
                    pass[c] = true;
                    break;
                }
        var first = Interaction(candidates, rows, scores, nq, count, pass, options.Documents, tieKeys);
        Array.Fill(pass, true);
        var second = Interaction([.. first.Select(h => h.Index)], rows, scores, nq, count, pass, options.Documents / 4, tieKeys);
        var best = new TopKHeap(Math.Min(k, Math.Max(1, second.Length)));
        foreach (var h in second)
        {
            float s = rows.Score(query, h.Index);
            if (s >= best.Threshold) best.Add(h.Index, s, tieKeys[h.Index]);
        }
        return best.ToSortedArray();
    }

    /// <summary>Live rows in the lists of each query token's <paramref name="cells"/> best centroids (the lowest id first on equal scores), ascending.</summary>
    private static int[] Candidates(float[] scores, int count, int nq, int cells, CellLists lists, int rowCount, IReadOnlySet<int> deleted, RowFilter? allowed)
    {
        cells = Math.Min(cells, count);
        var probed = new bool[count];
        var taken = new bool[count];
        for (int q = 0; q < nq; q++)
        {
            Array.Clear(taken);
            for (int j = 0; j < cells; j++)
            {
                int arg = -1;
                for (int c = 0; c < count; c++)
                    if (!taken[c] && (arg < 0 || scores[c * nq + q] > scores[arg * nq + q])) arg = c;
                taken[arg] = probed[arg] = true;
            }
        }
        var marked = new bool[rowCount];
        for (int c = 0; c < count; c++)
            if (probed[c])
                foreach (int r in lists.Rows(c)) marked[r] = true;
        var result = new List<int>();
        for (int r = 0; r < rowCount; r++)
            if (marked[r] && !deleted.Contains(r) && (allowed is null || allowed.Passes(r))) result.Add(r);
        return [.. result];
    }

    /// <summary>
    /// The best <paramref name="keep"/> of <paramref name="candidates"/> by centroid interaction: per query token the
    /// largest score of the row's distinct centroids that <paramref name="pass"/>, summed (filter_pids.cpp's maxsim).
    /// </summary>
    private static Hit[] Interaction(int[] candidates, MappedTokenRows rows, float[] scores, int nq, int count, bool[] pass, int keep, int[] tieKeys)
    {
        if (candidates.Length == 0 || keep < 1) return [];
        keep = Math.Min(keep, candidates.Length);
        var best = new TopKHeap(keep);
        var gate = new Lock();
        const int Block = 256;
        Parallel.For(0, (candidates.Length + Block - 1) / Block, () => new Worker(keep, nq, count), (block, _, w) =>
        {
            int end = Math.Min(candidates.Length, (block + 1) * Block);
            for (int i = block * Block; i < end; i++)
            {
                int r = candidates[i];
                w.Stamp++;
                Array.Fill(w.Max, Floor);
                foreach (int c in rows.Cells(r))
                {
                    if (!pass[c] || w.Seen[c] == w.Stamp) continue;
                    w.Seen[c] = w.Stamp;
                    var s = scores.AsSpan(c * nq, nq);
                    for (int q = 0; q < nq; q++)
                        if (s[q] > w.Max[q]) w.Max[q] = s[q];
                }
                float sum = 0;
                for (int q = 0; q < nq; q++) sum += w.Max[q];
                if (sum >= w.Heap.Threshold) w.Heap.Add(r, sum, tieKeys[r]);
            }
            return w;
        }, w =>
        {
            lock (gate) w.Heap.AddAllTo(best);
        });
        return best.ToSortedArray();
    }

    /// <summary>One worker's heap, per-token maxima and seen-centroid stamps.</summary>
    private sealed class Worker(int keep, int nq, int count)
    {
        public TopKHeap Heap { get; } = new(keep);
        public float[] Max { get; } = new float[nq];
        public int[] Seen { get; } = new int[count];
        public int Stamp { get; set; }
    }
}
