using Skald.Retrieval.Search;

namespace Skald.Retrieval.Mining;

/// <summary>
/// sentence-transformers' paraphrase mining (<c>util.paraphrase_mining_embeddings</c>,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/util/retrieval.py):
/// every text against every other by cosine similarity; each text's top_k nearest others (its top_k + 1 nearest of all,
/// itself dropped) give candidate pairs; past max_pairs candidates only the best max_pairs − 1 are kept, as
/// sentence-transformers' bounded queue keeps them; a pair found from both sides counts once; best first (equal scores
/// by the lower index, then the higher). The scores come from <see cref="ExactSearch"/>'s GEMM, so a corpus of any
/// size is scored in chunks.
/// </summary>
public static class ParaphraseMining
{
    /// <summary>The most similar pairs of <paramref name="embeddings"/>, best first.</summary>
    public static IReadOnlyList<ParaphrasePair> Mine(IReadOnlyList<float[]> embeddings, int topK = 100, int maxPairs = 500_000)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPairs, 2);
        if (embeddings.Count < 2) return [];
        var unit = ExactSearch.Normalize(embeddings);
        var hits = ExactSearch.TopK(unit, unit, Math.Min(topK + 1, unit.Length));
        var candidates = new List<(float Score, int I, int J)>();
        for (int i = 0; i < hits.Length; i++)
            foreach (var h in hits[i])
                if (h.Index != i) candidates.Add((h.Score, i, h.Index));
        // Best first; the queue keeps max_pairs − 1 once it has seen max_pairs.
        var ordered = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.I).ThenBy(c => c.J);
        var kept = candidates.Count >= maxPairs ? ordered.Take(maxPairs - 1) : ordered;
        var seen = new HashSet<(int, int)>();
        var pairs = new List<ParaphrasePair>();
        foreach (var (score, i, j) in kept)
        {
            var key = (Math.Min(i, j), Math.Max(i, j));
            if (seen.Add(key)) pairs.Add(new ParaphrasePair(score, key.Item1, key.Item2));
        }
        return [.. pairs.OrderByDescending(p => p.Score).ThenBy(p => p.First).ThenBy(p => p.Second)];
    }
}
