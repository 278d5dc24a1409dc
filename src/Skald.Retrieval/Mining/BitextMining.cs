using Skald.Retrieval.Search;

namespace Skald.Retrieval.Mining;

/// <summary>
/// Parallel sentence mining between two monolingual corpora with margin-based scoring (Artetxe &amp; Schwenk 2019, as
/// sentence-transformers' parallel-sentence-mining example scores it with exact kNN,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/examples/sentence_transformer/applications/parallel-sentence-mining/bitext_mining.py):
/// <code>
/// m_x(i) = mean of x_i's k nearest cosine similarities among the targets    m_y(j) likewise among the sources
/// score(i, j) = cos(x_i, y_j) / ((m_x(i) + m_y(j)) / 2)                    (the "ratio" margin)
/// </code>
/// Each source's best-scoring target among its k nearest, and each target's best source among its k nearest, are the
/// candidates; taken best first, a pair is kept when its score reaches <c>minScore</c> and neither text is paired yet.
/// A pair far closer than either text's neighbourhood scores above 1; a hub close to everything does not.
/// </summary>
public static class BitextMining
{
    /// <summary>The mined pairs, best first.</summary>
    public static IReadOnlyList<BitextPair> Mine(IReadOnlyList<float[]> source, IReadOnlyList<float[]> target, int k = 4, double minScore = 1.0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (source.Count == 0 || target.Count == 0) return [];
        var x = ExactSearch.Normalize(source);
        var y = ExactSearch.Normalize(target);
        var forward = ExactSearch.TopK(x, y, Math.Min(k, y.Length));  // x → its nearest targets
        var backward = ExactSearch.TopK(y, x, Math.Min(k, x.Length)); // y → its nearest sources
        double[] meanX = [.. forward.Select(h => h.Average(v => (double)v.Score))];
        double[] meanY = [.. backward.Select(h => h.Average(v => (double)v.Score))];
        var candidates = new List<BitextPair>(x.Length + y.Length);
        for (int i = 0; i < x.Length; i++)
        {
            var best = forward[i].Select(h => new BitextPair(h.Score / ((meanX[i] + meanY[h.Index]) / 2), i, h.Index)).MaxBy(p => p.Score);
            candidates.Add(best);
        }
        for (int j = 0; j < y.Length; j++)
        {
            var best = backward[j].Select(h => new BitextPair(h.Score / ((meanY[j] + meanX[h.Index]) / 2), h.Index, j)).MaxBy(p => p.Score);
            candidates.Add(best);
        }
        var pairs = new List<BitextPair>();
        var usedSource = new HashSet<int>();
        var usedTarget = new HashSet<int>();
        foreach (var c in candidates.OrderByDescending(c => c.Score))
        {
            if (c.Score < minScore) break;
            if (usedSource.Contains(c.Source) || usedTarget.Contains(c.Target)) continue;
            usedSource.Add(c.Source);
            usedTarget.Add(c.Target);
            pairs.Add(c);
        }
        return pairs;
    }
}
