namespace Skald.Retrieval.Metrics;

/// <summary>
/// The ranking metrics of sentence-transformers' <c>InformationRetrievalEvaluator</c> (what its NanoBEIR evaluator
/// reports per dataset), which differ from trec_eval's (<see cref="RankingMetrics"/>) in two ways: relevance is binary
/// (every judged document of a query is relevant, whatever its grade; the ideal DCG is that of |R| ones), and MAP@k
/// divides by min(k, |R|) rather than by |R|. Accuracy@k, precision@k (over k), recall@k (over |R|), MRR@k and nDCG@k
/// (gain 1, discount log2(rank + 1)) are averaged over the queries, every query having at least one relevant document.
/// Names: <c>accuracy@1</c>, <c>precision@3</c>, <c>recall@5</c>, <c>mrr@10</c>, <c>ndcg@10</c>, <c>map@100</c>.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/InformationRetrievalEvaluator.py (compute_metrics)</remarks>
public static class InformationRetrievalMetrics
{
    /// <summary>Upstream's default cut-offs for accuracy@k.</summary>
    public static IReadOnlyList<int> AccuracyAtK { get; } = [1, 3, 5, 10];

    /// <summary>Upstream's default cut-offs for precision@k and recall@k.</summary>
    public static IReadOnlyList<int> PrecisionRecallAtK { get; } = [1, 3, 5, 10];

    /// <summary>Upstream's default cut-offs for MRR@k.</summary>
    public static IReadOnlyList<int> MrrAtK { get; } = [10];

    /// <summary>Upstream's default cut-offs for nDCG@k.</summary>
    public static IReadOnlyList<int> NdcgAtK { get; } = [10];

    /// <summary>Upstream's default cut-offs for MAP@k.</summary>
    public static IReadOnlyList<int> MapAtK { get; } = [100];

    /// <summary>The largest cut-off any default metric looks at (the hits each query needs).</summary>
    public static int MaxK => MapAtK.Concat(NdcgAtK).Concat(MrrAtK).Concat(AccuracyAtK).Concat(PrecisionRecallAtK).Max();

    /// <summary>
    /// Mean metrics at upstream's default cut-offs. <paramref name="ranked"/>[i] is query i's hits in rank order (at
    /// least <see cref="MaxK"/> of them, or the whole corpus); <paramref name="relevant"/>[i] its relevant document ids,
    /// never empty.
    /// </summary>
    public static SortedDictionary<string, double> Compute(IReadOnlyList<IReadOnlyList<string>> ranked, IReadOnlyList<IReadOnlySet<string>> relevant)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(relevant);
        if (ranked.Count != relevant.Count) throw new ArgumentException($"{ranked.Count} rankings for {relevant.Count} queries", nameof(ranked));
        if (ranked.Count == 0) throw new ArgumentException("no queries", nameof(ranked));
        var sums = new SortedDictionary<string, double>(StringComparer.Ordinal);
        void Add(string name, double v) => sums[name] = sums.GetValueOrDefault(name) + v;
        for (int q = 0; q < ranked.Count; q++)
        {
            var hits = ranked[q];
            var rel = relevant[q];
            if (rel.Count == 0) throw new ArgumentException($"query {q} has no relevant document", nameof(relevant));
            foreach (int k in AccuracyAtK) Add($"accuracy@{k}", Correct(hits, rel, k) > 0 ? 1 : 0);
            foreach (int k in PrecisionRecallAtK)
            {
                int correct = Correct(hits, rel, k);
                Add($"precision@{k}", (double)correct / k);
                Add($"recall@{k}", (double)correct / rel.Count);
            }
            foreach (int k in MrrAtK) Add($"mrr@{k}", FirstRelevant(hits, rel, k) is int r ? 1.0 / (r + 1) : 0);
            foreach (int k in NdcgAtK) Add($"ndcg@{k}", Dcg(hits, rel, k) / IdealDcg(rel.Count, k));
            foreach (int k in MapAtK) Add($"map@{k}", PrecisionSum(hits, rel, k) / Math.Min(k, rel.Count));
        }
        var means = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, sum) in sums) means[name] = sum / ranked.Count;
        return means;
    }

    private static int Correct(IReadOnlyList<string> hits, IReadOnlySet<string> rel, int k)
    {
        int n = 0;
        for (int i = 0; i < Math.Min(k, hits.Count); i++) if (rel.Contains(hits[i])) n++;
        return n;
    }

    private static int? FirstRelevant(IReadOnlyList<string> hits, IReadOnlySet<string> rel, int k)
    {
        for (int i = 0; i < Math.Min(k, hits.Count); i++) if (rel.Contains(hits[i])) return i;
        return null;
    }

    private static double Dcg(IReadOnlyList<string> hits, IReadOnlySet<string> rel, int k)
    {
        double dcg = 0;
        for (int i = 0; i < Math.Min(k, hits.Count); i++) if (rel.Contains(hits[i])) dcg += 1 / Math.Log2(i + 2);
        return dcg;
    }

    private static double IdealDcg(int relevant, int k)
    {
        double dcg = 0;
        for (int i = 0; i < Math.Min(k, relevant); i++) dcg += 1 / Math.Log2(i + 2);
        return dcg;
    }

    private static double PrecisionSum(IReadOnlyList<string> hits, IReadOnlySet<string> rel, int k)
    {
        double sum = 0;
        int found = 0;
        for (int i = 0; i < Math.Min(k, hits.Count); i++)
        {
            if (!rel.Contains(hits[i])) continue;
            found++;
            sum += (double)found / (i + 1);
        }
        return sum;
    }
}
