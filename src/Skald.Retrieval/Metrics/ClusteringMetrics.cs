namespace Skald.Retrieval.Metrics;

/// <summary>
/// Clustering agreement as sklearn's <c>homogeneity_completeness_v_measure</c> (natural-log entropies, β = 1):
/// homogeneity h = 1 − H(C|K)/H(C), completeness c = 1 − H(K|C)/H(K), V = 2hc/(h + c); h (or c) is 1 when H(C)
/// (or H(K)) is 0.
/// </summary>
public static class ClusteringMetrics
{
    /// <summary>(homogeneity, completeness, V-measure) of predicted clusters against true classes.</summary>
    public static (double Homogeneity, double Completeness, double VMeasure) Scores(IReadOnlyList<int> classes, IReadOnlyList<int> clusters)
    {
        if (classes.Count != clusters.Count) throw new ArgumentException($"{classes.Count} labels but {clusters.Count} clusters");
        int n = classes.Count;
        if (n == 0) return (1, 1, 1);
        var joint = new Dictionary<(int, int), int>();
        var cCount = new Dictionary<int, int>();
        var kCount = new Dictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            joint[(classes[i], clusters[i])] = joint.GetValueOrDefault((classes[i], clusters[i])) + 1;
            cCount[classes[i]] = cCount.GetValueOrDefault(classes[i]) + 1;
            kCount[clusters[i]] = kCount.GetValueOrDefault(clusters[i]) + 1;
        }
        double hC = Entropy(cCount.Values, n), hK = Entropy(kCount.Values, n);
        double hCgivenK = 0, hKgivenC = 0;
        foreach (var ((c, k), nck) in joint)
        {
            double p = (double)nck / n;
            hCgivenK -= p * Math.Log((double)nck / kCount[k]);
            hKgivenC -= p * Math.Log((double)nck / cCount[c]);
        }
        double h = hC == 0 ? 1 : 1 - hCgivenK / hC;
        double comp = hK == 0 ? 1 : 1 - hKgivenC / hK;
        double v = h + comp == 0 ? 0 : 2 * h * comp / (h + comp);
        return (h, comp, v);
    }

    /// <summary>V-measure (β = 1).</summary>
    public static double VMeasure(IReadOnlyList<int> classes, IReadOnlyList<int> clusters) => Scores(classes, clusters).VMeasure;

    private static double Entropy(IEnumerable<int> counts, int n)
    {
        double h = 0;
        foreach (int c in counts)
        {
            double p = (double)c / n;
            if (p > 0) h -= p * Math.Log(p);
        }
        return h;
    }
}
