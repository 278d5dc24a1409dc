namespace Skald.Retrieval.Search;

/// <summary>
/// Score fusion of two ranked hit lists (BM25 and dense) over the union of their candidates.
/// <list type="bullet">
/// <item>Reciprocal-rank fusion (Cormack, Clarke and Büttcher, "Reciprocal rank fusion outperforms Condorcet and
/// individual rank learning methods", SIGIR 2009): score(d) = Σ over the lists that hold d of 1/(k + rank), rank
/// 1-based; k = 60 as in the paper and as Elasticsearch's <c>rank_constant</c> and Vespa's
/// <c>reciprocal_rank_fusion</c> default.</item>
/// <item>Convex combination (Bruch, Gai and Ingber, "An analysis of fusion functions for hybrid retrieval", ACM TOIS
/// 2023): score(d) = α·norm(dense(d)) + (1 − α)·norm(sparse(d)), each side normalised over its own candidates
/// (<see cref="ScoreNormalization"/>); a document missing from one side gets that side's lowest normalised value
/// (0 under min-max; under z-score −1 when the side's candidates all score the same).</item>
/// </list>
/// Ties in the fused score go to the higher tie key (trec_eval: document id descending), or the lower index without keys.
/// </summary>
public static class Fusion
{
    /// <summary>Fuses one query's two hit lists and keeps the best <paramref name="topK"/>.</summary>
    /// <param name="sparse">BM25 hits, best first.</param>
    /// <param name="dense">Dense hits, best first.</param>
    /// <param name="options">RRF or convex (re-ranking needs the dense model: <see cref="Rerank"/>).</param>
    /// <param name="topK">Hits to keep.</param>
    /// <param name="tieKeys">Optional tie keys per document index (higher wins).</param>
    public static Hit[] Fuse(IReadOnlyList<Hit> sparse, IReadOnlyList<Hit> dense, FusionOptions options, int topK,
        IReadOnlyList<int>? tieKeys = null) => Fuse(sparse, dense, options, topK, tieKeys, out _);

    /// <summary>As <see cref="Fuse(IReadOnlyList{Hit}, IReadOnlyList{Hit}, FusionOptions, int, IReadOnlyList{int}?)"/>;
    /// <paramref name="lowest"/> is the lowest fused score of all the candidates (0 when there are none), for <see cref="Scaled"/>.</summary>
    public static Hit[] Fuse(IReadOnlyList<Hit> sparse, IReadOnlyList<Hit> dense, FusionOptions options, int topK,
        IReadOnlyList<int>? tieKeys, out double lowest)
    {
        var scores = options.Mode switch
        {
            HybridMode.ReciprocalRankFusion => ReciprocalRank(sparse, dense, options.RrfK),
            HybridMode.Convex => Convex(sparse, dense, options.Alpha, options.Normalization),
            _ => throw new ArgumentException("re-ranking needs dense scores: use Fusion.Rerank", nameof(options)),
        };
        lowest = scores.Count == 0 ? 0 : (float)scores.Values.Min(); // rounded as the hits hold their scores
        return Top(scores, topK, tieKeys);
    }

    /// <summary>
    /// A fused <paramref name="score"/> as a number in [0, 1] for people to read, in the ranking's order (the raw fused
    /// scores rank the hits; this only shows them): under RRF the score over the largest it can be, 2/(k + 1) (1: first
    /// in both lists, 0.5: first in one and missing from the other); a convex combination of min-max normalised scores
    /// as it is (already in [0, 1]); of z-scores, which are unbounded and often negative, the score's place between the
    /// lowest fused score of the candidates (<paramref name="lowest"/>, from <see cref="Fuse(IReadOnlyList{Hit}, IReadOnlyList{Hit}, FusionOptions, int, IReadOnlyList{int}?, out double)"/>)
    /// and the best (<paramref name="best"/>, the first hit's): 1 for the best hit, 0 for the least of the candidates.
    /// Re-ranking's scores are the dense model's own and are not fused: <see cref="ArgumentException"/>.
    /// </summary>
    public static float Scaled(FusionOptions options, double score, double best, double lowest)
    {
        double scaled = options.Mode switch
        {
            HybridMode.ReciprocalRankFusion => score * (options.RrfK + 1) / 2,
            HybridMode.Convex when options.Normalization == ScoreNormalization.MinMax => score,
            HybridMode.Convex => best > lowest ? (score - lowest) / (best - lowest) : 1,
            _ => throw new ArgumentException("re-ranking shows the dense scores themselves", nameof(options)),
        };
        return (float)Math.Clamp(scaled, 0, 1);
    }

    /// <summary>The sparse candidates re-scored by <paramref name="denseScore"/> (the dense score alone), best <paramref name="topK"/>.</summary>
    public static Hit[] Rerank(IReadOnlyList<Hit> sparse, Func<int, double> denseScore, int topK, IReadOnlyList<int>? tieKeys = null)
    {
        var scores = new Dictionary<int, double>();
        foreach (var h in sparse) scores[h.Index] = denseScore(h.Index);
        return Top(scores, topK, tieKeys);
    }

    /// <summary>RRF scores of the union of both lists: Σ 1/(k + rank) over the lists holding each document.</summary>
    public static Dictionary<int, double> ReciprocalRank(IReadOnlyList<Hit> sparse, IReadOnlyList<Hit> dense, int k = 60)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var fused = new Dictionary<int, double>();
        foreach (var list in new[] { sparse, dense })
            for (int r = 0; r < list.Count; r++)
                fused[list[r].Index] = fused.GetValueOrDefault(list[r].Index) + 1.0 / (k + r + 1);
        return fused;
    }

    /// <summary>Convex-combination scores of the union of both lists: α·dense + (1 − α)·sparse, normalised per side.</summary>
    public static Dictionary<int, double> Convex(IReadOnlyList<Hit> sparse, IReadOnlyList<Hit> dense, double alpha,
        ScoreNormalization normalization = ScoreNormalization.MinMax)
    {
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1]");
        var s = Normalize(sparse, normalization, out double sMissing);
        var d = Normalize(dense, normalization, out double dMissing);
        var fused = new Dictionary<int, double>();
        foreach (int i in s.Keys.Concat(d.Keys))
            fused[i] = alpha * d.GetValueOrDefault(i, dMissing) + (1 - alpha) * s.GetValueOrDefault(i, sMissing);
        return fused;
    }

    /// <summary>One side's scores normalised; <paramref name="missing"/> is the lowest normalised value (0 when empty).</summary>
    public static Dictionary<int, double> Normalize(IReadOnlyList<Hit> hits, ScoreNormalization normalization, out double missing)
    {
        var result = new Dictionary<int, double>();
        missing = 0;
        if (hits.Count == 0) return result;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        foreach (var h in hits) { min = Math.Min(min, h.Score); max = Math.Max(max, h.Score); sum += h.Score; }
        if (normalization == ScoreNormalization.MinMax)
        {
            double range = max - min;
            foreach (var h in hits) result[h.Index] = range > 0 ? (h.Score - min) / range : 1;
            missing = 0;
            return result;
        }
        double mean = sum / hits.Count, squares = 0;
        foreach (var h in hits) squares += (h.Score - mean) * (h.Score - mean);
        double std = Math.Sqrt(squares / hits.Count);
        foreach (var h in hits) result[h.Index] = std > 0 ? (h.Score - mean) / std : 0;
        // All candidates equal (one BM25 match, say): they still rank one standard unit above the documents not found.
        missing = std > 0 ? (min - mean) / std : -1;
        return result;
    }

    private static Hit[] Top(Dictionary<int, double> scores, int topK, IReadOnlyList<int>? tieKeys)
    {
        var order = scores.ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = b.Value.CompareTo(a.Value);
            if (c != 0) return c;
            return tieKeys is null ? a.Key.CompareTo(b.Key) : tieKeys[b.Key].CompareTo(tieKeys[a.Key]);
        });
        return [.. order.Take(topK).Select(p => new Hit(p.Key, (float)p.Value))];
    }
}
