using Skald.Retrieval.Search;
using Skald.Tensors.Gemm;

namespace Skald.Retrieval.Mining;

/// <summary>
/// sentence-transformers' fast community detection (<c>util.community_detection</c>,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/util/retrieval.py):
/// a text whose min_community_size-th most similar text (itself counted) reaches the threshold by cosine similarity
/// proposes a community of every text at or above the threshold, most similar first (the text itself leads); the
/// proposals, largest first, each keep the texts no earlier community took and stay when at least min_community_size
/// are left; largest first again (equal sizes in the order they were found). Similarities are computed a block of
/// rows at a time (one GEMM per block), never as the whole [N, N] matrix.
/// </summary>
public static class CommunityDetection
{
    /// <summary>Rows scored per GEMM.</summary>
    public const int BlockRows = 1024;

    /// <summary>The communities of <paramref name="embeddings"/> (lists of indices), largest first.</summary>
    public static IReadOnlyList<int[]> Find(IReadOnlyList<float[]> embeddings, float threshold = 0.75f, int minCommunitySize = 10)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCommunitySize, 1);
        int n = embeddings.Count;
        if (n == 0) return [];
        int dim = embeddings[0].Length;
        var unit = ExactSearch.Normalize(embeddings);
        var flat = new float[(long)n * dim is var size && size <= Array.MaxLength ? (int)size : throw new ArgumentException("too many embeddings")];
        for (int i = 0; i < n; i++) unit[i].CopyTo(flat, i * dim);
        int minSize = Math.Min(minCommunitySize, n);
        var proposals = new List<int[]>();
        var scores = new float[Math.Min(BlockRows, n) * n];
        var row = new float[n];
        for (int start = 0; start < n; start += BlockRows)
        {
            int rows = Math.Min(BlockRows, n - start);
            Blas.Sgemm(false, true, rows, n, dim, 1f, flat.AsSpan(start * dim, rows * dim), dim, flat, dim, 0f, scores, n); // [rows, n]
            for (int r = 0; r < rows; r++)
            {
                var s = scores.AsSpan(r * n, n);
                s.CopyTo(row);
                if (Skald.Tensors.Kernels.TopK.KthLargest(row, minSize) < threshold) continue; // its min_community_size-th best
                var members = new List<int>();
                for (int j = 0; j < n; j++) if (s[j] >= threshold) members.Add(j);
                var ss = s.ToArray();
                proposals.Add([.. members.OrderByDescending(j => ss[j]).ThenBy(j => j)]);
            }
        }
        var taken = new HashSet<int>();
        var communities = new List<int[]>();
        foreach (var proposal in proposals.OrderByDescending(p => p.Length)) // stable: equal sizes keep their order
        {
            int[] rest = [.. proposal.Where(i => !taken.Contains(i))];
            if (rest.Length < minSize) continue;
            communities.Add(rest);
            taken.UnionWith(rest);
        }
        return [.. communities.OrderByDescending(c => c.Length)];
    }
}
