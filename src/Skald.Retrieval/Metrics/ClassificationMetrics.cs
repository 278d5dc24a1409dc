namespace Skald.Retrieval.Metrics;

/// <summary>Classification metrics with sklearn's definitions (accuracy_score, f1_score average="macro"/"weighted"/"micro", zero_division=0), for one class per row and for label-indicator matrices (multi-label).</summary>
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

    /// <summary>
    /// Multi-label F1, sklearn's f1_score(average="macro") over a label-indicator matrix: the unweighted mean over all
    /// <paramref name="labels"/> labels of each label's binary F1 (0 when it has no true positive). The matrices are
    /// flat, row by row (row r's labels at [r·labels, (r + 1)·labels)).
    /// </summary>
    public static double MultiLabelMacroF1(IReadOnlyList<bool> truth, IReadOnlyList<bool> predicted, int labels)
    {
        var (tp, fp, fn) = LabelCounts(truth, predicted, labels);
        return Enumerable.Range(0, labels).Average(l => tp[l] == 0 ? 0 : 2.0 * tp[l] / (2 * tp[l] + fp[l] + fn[l]));
    }

    /// <summary>Multi-label F1 over every (row, label) decision at once, sklearn's average="micro".</summary>
    public static double MultiLabelMicroF1(IReadOnlyList<bool> truth, IReadOnlyList<bool> predicted, int labels)
    {
        var (tp, fp, fn) = LabelCounts(truth, predicted, labels);
        int t = tp.Sum();
        return t == 0 ? 0 : 2.0 * t / (2 * t + fp.Sum() + fn.Sum());
    }

    /// <summary>Fraction of rows whose every label is right (sklearn's accuracy_score on a label-indicator matrix).</summary>
    public static double SubsetAccuracy(IReadOnlyList<bool> truth, IReadOnlyList<bool> predicted, int labels)
    {
        LabelCounts(truth, predicted, labels);
        int rows = truth.Count / labels, exact = 0;
        for (int r = 0; r < rows; r++)
        {
            bool all = true;
            for (int l = 0; l < labels && all; l++) all = truth[r * labels + l] == predicted[r * labels + l];
            if (all) exact++;
        }
        return rows == 0 ? 0 : (double)exact / rows;
    }

    private static (int[] Tp, int[] Fp, int[] Fn) LabelCounts(IReadOnlyList<bool> truth, IReadOnlyList<bool> predicted, int labels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(labels, 1);
        if (truth.Count != predicted.Count || truth.Count % labels != 0)
            throw new ArgumentException($"{truth.Count} true and {predicted.Count} predicted decisions do not make rows of {labels} labels");
        var (tp, fp, fn) = (new int[labels], new int[labels], new int[labels]);
        for (int i = 0; i < truth.Count; i++)
        {
            int l = i % labels;
            if (truth[i] && predicted[i]) tp[l]++;
            else if (predicted[i]) fp[l]++;
            else if (truth[i]) fn[l]++;
        }
        return (tp, fp, fn);
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
