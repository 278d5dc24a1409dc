using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;
namespace Skald.Retrieval.Metrics;

/// <summary>Correlation coefficients as scipy.stats computes them (pearsonr, spearmanr).</summary>
public static class Correlation
{
    /// <summary>
    /// Pearson's r; NaN when it is undefined, as scipy has it: fewer than two pairs, or a side that is constant
    /// (<see cref="Undefined"/> says why). Reports write NaN as null.
    /// </summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"lengths differ ({x.Count} and {y.Count})");
        if (x.Count < 2) return double.NaN;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        return sxx <= 0 || syy <= 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Why the correlation of <paramref name="gold"/> and <paramref name="scores"/> is undefined, or null when it is defined.</summary>
    public static string? Undefined(IReadOnlyList<double> gold, IReadOnlyList<double> scores) =>
        gold.Count < 2 ? $"correlation is undefined with {Counted.Of(gold.Count, "pair")}"
        : gold.All(g => g == gold[0]) ? "correlation is undefined: every gold score is the same"
        : scores.All(v => v == scores[0]) ? "correlation is undefined: the model gives every pair the same score"
        : null;

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
