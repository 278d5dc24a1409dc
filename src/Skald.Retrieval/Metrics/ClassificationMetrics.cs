namespace Skald.Retrieval.Metrics;

/// <summary>Classification metrics with sklearn's definitions (accuracy_score, f1_score average="macro"/"weighted", zero_division=0).</summary>
public static class ClassificationMetrics
{
    /// <summary>Fraction of predictions equal to the truth.</summary>
    public static double Accuracy(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        Check(truth, predicted);
        int hits = 0;
        for (int i = 0; i < truth.Count; i++) if (truth[i] == predicted[i]) hits++;
        return truth.Count == 0 ? 0 : (double)hits / truth.Count;
    }

    /// <summary>Unweighted mean of per-class F1 over every class seen in the truth or the predictions.</summary>
    public static double MacroF1(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        var perClass = PerClassF1(truth, predicted);
        return perClass.Count == 0 ? 0 : perClass.Values.Average(v => v.F1);
    }

    /// <summary>Per-class F1 weighted by the class's support in the truth.</summary>
    public static double WeightedF1(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        var perClass = PerClassF1(truth, predicted);
        return truth.Count == 0 ? 0 : perClass.Values.Sum(v => v.F1 * v.Support) / truth.Count;
    }

    private static Dictionary<int, (double F1, int Support)> PerClassF1(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        Check(truth, predicted);
        var result = new Dictionary<int, (double, int)>();
        foreach (int c in truth.Concat(predicted).Distinct())
        {
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < truth.Count; i++)
            {
                bool t = truth[i] == c, p = predicted[i] == c;
                if (t && p) tp++; else if (p) fp++; else if (t) fn++;
            }
            double f1 = tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
            result[c] = (f1, tp + fn);
        }
        return result;
    }

    private static void Check(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        if (truth.Count != predicted.Count) throw new ArgumentException($"{truth.Count} labels but {predicted.Count} predictions");
    }
}
