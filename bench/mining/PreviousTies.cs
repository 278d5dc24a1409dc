using Skald.Data.Negatives;
using Skald.Retrieval.Search;

namespace Skald.Bench.Mining;

/// <summary>
/// The tie path DenseCandidateScorer had before its rows were scored in place (the baseline of this bench): the top
/// k + 1 of every query, then each query with equal scores among them searched again against the whole corpus
/// (ExactSearch.TopK at k = n, four queries a scan), every passage's hit sorted, and that row ranked by TorchTopK.
/// Unit vectors in, as the scorer's cosine model gives them.
/// </summary>
internal static class PreviousTies
{
    public static Hit[][] TopK(float[][] q, float[][] c, int k)
    {
        var hits = ExactSearch.TopK(q, c, k + 1);
        var tied = Enumerable.Range(0, q.Length).Where(i => Enumerable.Range(1, hits[i].Length - 1).Any(r => hits[i][r].Score == hits[i][r - 1].Score)).ToArray();
        for (int i = 0; i < hits.Length; i++) if (hits[i].Length > k) hits[i] = hits[i][..k];
        var scores = new float[c.Length];
        var order = new int[Math.Min(k, c.Length)];
        var scratch = new (float, int)[c.Length];
        for (int start = 0; start < tied.Length; start += 4)
        {
            var block = tied[start..Math.Min(tied.Length, start + 4)];
            var all = ExactSearch.TopK([.. block.Select(i => q[i])], c, c.Length);
            for (int b = 0; b < block.Length; b++)
            {
                foreach (var h in all[b]) scores[h.Index] = h.Score;
                TorchTopK.Order(scores, order, scratch);
                hits[block[b]] = [.. order.Select(j => new Hit(j, scores[j]))];
            }
        }
        return hits;
    }
}
