namespace Skald.Retrieval.Metrics;

/// <summary>Correlation coefficients as scipy.stats computes them (pearsonr, spearmanr).</summary>
public static class Correlation
{
    /// <summary>Pearson's r; 0 when either side is constant (scipy returns NaN there).</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"lengths differ ({x.Count} and {y.Count})");
        if (x.Count < 2) return 0;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        return sxx <= 0 || syy <= 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Spearman's ρ: Pearson's r of the ranks, tied values getting the average of their ranks.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) =>
        Pearson(AverageRanks(x), AverageRanks(y));

    /// <summary>1-based ranks ascending; a group of ties gets the mean of the ranks it spans (scipy's rankdata "average").</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]]) j++;
            double avg = (i + j) / 2.0 + 1;
            for (int t = i; t <= j; t++) ranks[order[t]] = avg;
            i = j + 1;
        }
        return ranks;
    }
}
