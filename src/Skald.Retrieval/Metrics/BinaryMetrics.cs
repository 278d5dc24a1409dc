namespace Skald.Retrieval.Metrics;

/// <summary>
/// Metrics of scores against binary labels (1 = positive), higher score = more likely positive.
/// <see cref="AveragePrecision"/> is sklearn's <c>average_precision_score</c>; <see cref="BestAccuracy"/> and
/// <see cref="BestF1"/> are MTEB's <c>find_best_acc_and_threshold</c> / <c>find_best_f1_and_threshold</c>, except that a
/// threshold is never placed between two equal scores (MTEB walks the sorted list and may split a tie; with distinct
/// scores the results are identical). <see cref="MatthewsCorrelation"/> is the <c>mcc</c> sentence-transformers'
/// BinaryClassificationEvaluator reports beside them.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/PairClassificationEvaluator.py,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/BinaryClassificationEvaluator.py
/// </remarks>
public static class BinaryMetrics
{
    /// <summary>
    /// AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds in descending order (tied scores form one step).
    /// 0 when there is no positive label.
    /// </summary>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        Check(scores, labels);
        int positives = labels.Count(l => l == 1);
        if (positives == 0) return 0;
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        double ap = 0, prevRecall = 0;
        int tp = 0, fp = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            for (; j < order.Length && scores[order[j]] == scores[order[i]]; j++)
            {
                if (labels[order[j]] == 1) tp++; else fp++;
            }
            double recall = (double)tp / positives, precision = (double)tp / (tp + fp);
            ap += (recall - prevRecall) * precision;
            prevRecall = recall;
            i = j;
        }
        return ap;
    }

    /// <summary>Best accuracy of "positive when score &gt; threshold" over thresholds midway between distinct scores.</summary>
    public static ThresholdResult BestAccuracy(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        Check(scores, labels);
        var rows = Sorted(scores, labels);
        int positivesSoFar = 0, remainingNegatives = labels.Count(l => l != 1);
        double best = 0, threshold = -1;
        for (int i = 0; i < rows.Length - 1; i++)
        {
            if (rows[i].Label == 1) positivesSoFar++; else remainingNegatives--;
            if (rows[i].Score == rows[i + 1].Score) continue;
            double acc = (double)(positivesSoFar + remainingNegatives) / rows.Length;
            if (acc > best)
            {
                best = acc;
                threshold = (rows[i].Score + rows[i + 1].Score) / 2;
            }
        }
        return new ThresholdResult(best, threshold);
    }

    /// <summary>
    /// Best F1 of "positive when score &gt; threshold" over thresholds midway between distinct scores; when no cut
    /// above the lowest score holds a positive, F1, precision and recall are 0 and the threshold is 0, as upstream's
    /// sweep starts from.
    /// </summary>
    public static ThresholdResult BestF1(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        Check(scores, labels);
        var rows = Sorted(scores, labels);
        int positives = labels.Count(l => l == 1), extracted = 0, correct = 0;
        var best = new ThresholdResult(0, 0);
        for (int i = 0; i < rows.Length - 1; i++)
        {
            extracted++;
            if (rows[i].Label == 1) correct++;
            if (correct == 0 || rows[i].Score == rows[i + 1].Score) continue;
            double p = (double)correct / extracted, r = (double)correct / positives, f1 = 2 * p * r / (p + r);
            if (f1 > best.Value) best = new ThresholdResult(f1, (rows[i].Score + rows[i + 1].Score) / 2, p, r);
        }
        return best;
    }

    /// <summary>
    /// Matthews' correlation of "positive when score ≥ <paramref name="threshold"/>" with the labels (sklearn's
    /// <c>matthews_corrcoef</c>): (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)), 0 when a factor of the
    /// denominator is 0. sentence-transformers' BinaryClassificationEvaluator reports it at the best-F1 threshold
    /// (<see cref="BestF1"/>) as <c>mcc</c>.
    /// </summary>
    public static double MatthewsCorrelation(IReadOnlyList<double> scores, IReadOnlyList<int> labels, double threshold)
    {
        Check(scores, labels);
        long tp = 0, tn = 0, fp = 0, fn = 0;
        for (int i = 0; i < scores.Count; i++)
        {
            bool predicted = scores[i] >= threshold, positive = labels[i] == 1;
            if (predicted) { if (positive) tp++; else fp++; }
            else if (positive) fn++;
            else tn++;
        }
        double denominator = Math.Sqrt((double)(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
        return denominator == 0 ? 0 : ((double)tp * tn - (double)fp * fn) / denominator;
    }

    private static (double Score, int Label)[] Sorted(IReadOnlyList<double> scores, IReadOnlyList<int> labels) =>
        [.. Enumerable.Range(0, scores.Count).Select(i => (scores[i], labels[i])).OrderByDescending(r => r.Item1)];

    private static void Check(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        if (scores.Count != labels.Count) throw new ArgumentException($"{scores.Count} scores but {labels.Count} labels");
        if (labels.Any(l => l is not (0 or 1))) throw new ArgumentException("labels must be 0 or 1");
    }
}
