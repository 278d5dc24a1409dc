using Skald.Models.BgeM3;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Index;

/// <summary>The candidate stage of a BGE-M3 index whose ColBERT vectors are PLAID coded (<see cref="SearchBgeM3"/>).</summary>
public sealed partial class SearchIndex
{
    /// <summary>
    /// The best <paramref name="k"/> rows by the weighted combination, scored over candidates instead of every row:
    /// PLAID's stages over the ColBERT vectors (<see cref="Plaid.PlaidSearch"/>: centroid probes, two
    /// centroid-interaction stages, MaxSim over the decoded survivors; the Documents / 4 survivors kept, at least k)
    /// and, when the dense or lexical weight is not 0, as many rows again best by those two terms alone (their exact
    /// scores, every live row, cheap next to MaxSim). Each candidate gets the full combination (its ColBERT score the
    /// mean MaxSim over its decoded vectors); rows outside both sets are not scored. Approximate as PLAID is; with
    /// every centroid probed and Documents at least the rows, it is the exact combination over the decoded vectors.
    /// </summary>
    private Hit[] PlaidCandidates(BgeM3Output q, BgeM3Weights weights, int k, RowFilter? allowed, Plaid.PlaidSearchOptions options)
    {
        int n = Records.Count;
        if (LiveCount == 0 || n == 0) return [];
        var rows = tokens!;
        var query = q.Colbert!;
        float queryCount = Math.Max(query.Count, 1);
        options = options.For(k);
        int keep = Math.Max(k, options.Documents / 4);
        var colbert = new Dictionary<int, float>();
        foreach (var h in Plaid.PlaidSearch.TopK(query.Values, rows, keep, Deleted, allowed, tieKeys, options))
            colbert[h.Index] = h.Score / queryCount;
        if (weights.Dense != 0 || weights.Sparse != 0)
        {
            // the other terms' best rows: BgeM3TopK with the ColBERT weight 0 ranks by exactly those terms
            var others = weights with { Colbert = 0 };
            foreach (var h in BgeM3TopK(q, others, keep, allowed))
                if (!colbert.ContainsKey(h.Index)) colbert[h.Index] = rows.Score(query.Values, h.Index) / queryCount;
        }
        var heap = new TopKHeap(Math.Min(k, Math.Max(1, colbert.Count)));
        foreach (var (r, c) in colbert.OrderBy(p => p.Key))
        {
            float dense = weights.Dense != 0 ? System.Numerics.Tensors.TensorPrimitives.Dot(q.Dense, vectors!.Row(r)) : 0f;
            float lexical = weights.Sparse != 0 ? Skald.Models.SparseEmbedding.Dot(q.Sparse!, mappedSparseRows!.Row(r)) : 0f;
            float score = weights.Combine(dense, lexical, c);
            if (score >= heap.Threshold) heap.Add(r, score, tieKeys[r]);
        }
        return heap.ToSortedArray();
    }
}
