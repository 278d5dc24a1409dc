namespace Skald.Retrieval.Metrics;

/// <summary>
/// Ranking metrics with the definitions of trec_eval (as wrapped by pytrec_eval and used by MTEB/BEIR):
/// <list type="bullet">
/// <item>Documents are ranked by score descending, ties broken by document id in <b>descending</b> ordinal order
/// (trec_eval's <c>comp_sim_docno</c>: <c>strcmp(ptr2-&gt;docno, ptr1-&gt;docno)</c>); see <see cref="Rank"/>.</item>
/// <item>A document is relevant when its qrels grade is ≥ 1; unjudged documents are non-relevant.</item>
/// <item>nDCG@k: graded gain = qrels grade (grades ≤ 0 give no gain), discount log2(rank + 1) for 1-based rank; the
/// ideal DCG sorts all judged grades descending and cuts at k. 0 when the query has no positive grade.</item>
/// <item>AP@k (map_cut): sum of precision at each relevant rank ≤ k, divided by the total number of relevant
/// documents (not by min(k, R)).</item>
/// <item>P@k divides by k even when fewer than k documents were retrieved (k larger than the corpus).</item>
/// <item>Recall@k divides by the number of relevant documents; 0 when there are none.</item>
/// <item>MRR@k: 1 / rank of the first relevant document among the first k (MTEB computes it itself, not via
/// trec_eval's recip_rank; identical on the top-k run).</item>
/// </list>
/// A query without relevant documents scores 0 on every metric and still counts in the mean, as in pytrec_eval.
/// </summary>
public static class RankingMetrics
{
    /// <summary>The cut-offs MTEB reports.</summary>
    public static IReadOnlyList<int> DefaultCutoffs { get; } = [1, 3, 5, 10, 20, 100, 1000];

    /// <summary>
    /// Orders scored documents as trec_eval does: score descending, then document id descending (ordinal).
    /// </summary>
    public static List<(string DocId, float Score)> Rank(IEnumerable<(string DocId, float Score)> scored)
    {
        var list = scored.ToList();
        list.Sort(CompareTrec);
        return list;
    }

    /// <summary>trec_eval's order: negative when <paramref name="a"/> ranks before <paramref name="b"/>.</summary>
    public static int CompareTrec((string DocId, float Score) a, (string DocId, float Score) b)
    {
        int c = b.Score.CompareTo(a.Score);
        return c != 0 ? c : string.CompareOrdinal(b.DocId, a.DocId);
    }

    /// <summary>
    /// Metrics for one query at cut-off <paramref name="k"/>. <paramref name="ranked"/> must already be in rank order
    /// (see <see cref="Rank"/>); <paramref name="qrels"/> maps judged document ids to grades.
    /// </summary>
    public static QueryMetrics Compute(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> qrels, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int numRel = 0;
        foreach (var g in qrels.Values) if (g >= 1) numRel++;
        int n = Math.Min(k, ranked.Count);
        double dcg = 0, apSum = 0, rr = 0;
        int relFound = 0;
        for (int i = 0; i < n; i++)
        {
            int grade = qrels.TryGetValue(ranked[i], out int g) ? g : 0;
            if (grade > 0) dcg += grade / Math.Log2(i + 2);
            if (grade >= 1)
            {
                relFound++;
                apSum += (double)relFound / (i + 1);
                if (rr == 0) rr = 1.0 / (i + 1);
            }
        }
        double idcg = 0;
        var ideal = qrels.Values.Where(g => g > 0).OrderByDescending(g => g).Take(k).ToArray();
        for (int i = 0; i < ideal.Length; i++) idcg += ideal[i] / Math.Log2(i + 2);
        return new QueryMetrics(
            Ndcg: idcg > 0 ? dcg / idcg : 0,
            Map: numRel > 0 ? apSum / numRel : 0,
            Recall: numRel > 0 ? (double)relFound / numRel : 0,
            Precision: (double)relFound / k,
            Mrr: rr,
            Accuracy: relFound > 0 ? 1 : 0);
    }

    /// <summary>
    /// Mean metrics over queries, with MTEB's names (<c>ndcg_at_10</c>, <c>map_at_100</c>, <c>recall_at_10</c>,
    /// <c>precision_at_1</c>, <c>mrr_at_10</c>, <c>accuracy_at_1</c>, and <c>hit_rate_at_k</c> = accuracy_at_k).
    /// <paramref name="runs"/> holds each query's ranked document ids; queries missing from it score 0.
    /// </summary>
    public static SortedDictionary<string, double> Evaluate(
        IReadOnlyDictionary<string, IReadOnlyList<string>> runs,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> qrels,
        IReadOnlyList<int>? cutoffs = null)
    {
        cutoffs ??= DefaultCutoffs;
        var sums = new double[cutoffs.Count, 6];
        foreach (var (qid, judged) in qrels)
        {
            IReadOnlyList<string> ranked = runs.TryGetValue(qid, out var r) ? r : [];
            for (int c = 0; c < cutoffs.Count; c++)
            {
                var m = Compute(ranked, judged, cutoffs[c]);
                sums[c, 0] += m.Ndcg; sums[c, 1] += m.Map; sums[c, 2] += m.Recall;
                sums[c, 3] += m.Precision; sums[c, 4] += m.Mrr; sums[c, 5] += m.Accuracy;
            }
        }
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        double n = Math.Max(1, qrels.Count);
        string[] names = ["ndcg", "map", "recall", "precision", "mrr", "accuracy"];
        for (int c = 0; c < cutoffs.Count; c++)
        {
            for (int j = 0; j < names.Length; j++) result[$"{names[j]}_at_{cutoffs[c]}"] = sums[c, j] / n;
            result[$"hit_rate_at_{cutoffs[c]}"] = sums[c, 5] / n;
        }
        return result;
    }
}
