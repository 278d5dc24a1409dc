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

    /// <summary>
    /// Mines <paramref name="embeddings"/> (<see cref="Mine"/>) and scores the pairs, best first, against the known
    /// <paramref name="duplicates"/> (index pairs, either order), as sentence-transformers' <c>ParaphraseMiningEvaluator</c>
    /// does: average precision, and the F1, precision, recall and threshold of the best cut. With
    /// <paramref name="addTransitiveClosure"/> every two texts joined by a chain of duplicates are duplicates too (its
    /// <c>add_transitive_closure</c>). No duplicates, an index outside the embeddings or a text paired with itself is an
    /// <see cref="ArgumentException"/> naming <paramref name="duplicates"/>.
    /// </summary>
    public static ParaphraseMiningScores Evaluate(IReadOnlyList<float[]> embeddings, IReadOnlyList<(int First, int Second)> duplicates,
        bool addTransitiveClosure = false, int topK = 100, int maxPairs = 500_000)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(duplicates);
        if (duplicates.Count == 0) throw new ArgumentException("no duplicate pairs to evaluate against", nameof(duplicates));
        var gold = new HashSet<(int, int)>();
        var parent = Enumerable.Range(0, embeddings.Count).ToArray();
        int Root(int x)
        {
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        }
        foreach (var (a, b) in duplicates)
        {
            if ((uint)a >= (uint)embeddings.Count || (uint)b >= (uint)embeddings.Count)
                throw new ArgumentException($"duplicate pair ({a}, {b}) names a text outside the {embeddings.Count} embeddings", nameof(duplicates));
            if (a == b) throw new ArgumentException($"duplicate pair ({a}, {b}) pairs a text with itself", nameof(duplicates));
            gold.Add((Math.Min(a, b), Math.Max(a, b)));
            parent[Root(a)] = Root(b);
        }
        if (addTransitiveClosure)
        {
            var members = gold.SelectMany(p => new[] { p.Item1, p.Item2 }).Distinct().Order().GroupBy(Root);
            foreach (var component in members)
            {
                var m = component.ToArray();
                for (int i = 0; i < m.Length; i++)
                {
                    for (int j = i + 1; j < m.Length; j++) gold.Add((m[i], m[j]));
                }
            }
        }
        var pairs = Mine(embeddings, topK, maxPairs);
        int found = 0;
        double sumPrecision = 0, bestF1 = 0, bestPrecision = 0, bestRecall = 0, threshold = 0;
        for (int idx = 0; idx < pairs.Count; idx++)
        {
            if (!gold.Contains((pairs[idx].First, pairs[idx].Second))) continue;
            found++;
            double precision = (double)found / (idx + 1), recall = (double)found / gold.Count;
            double f1 = 2 * precision * recall / (precision + recall);
            sumPrecision += precision;
            if (f1 > bestF1)
            {
                (bestF1, bestPrecision, bestRecall) = (f1, precision, recall);
                threshold = ((double)pairs[idx].Score + pairs[Math.Min(idx + 1, pairs.Count - 1)].Score) / 2;
            }
        }
        return new ParaphraseMiningScores(sumPrecision / gold.Count, bestF1, bestPrecision, bestRecall, threshold, gold.Count);
    }
}
