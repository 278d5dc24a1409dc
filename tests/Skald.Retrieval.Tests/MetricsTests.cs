using Skald.Retrieval.Metrics;

namespace Skald.Retrieval.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void PearsonAndSpearmanMatchHandComputation()
    {
        Assert.Equal(5 / Math.Sqrt(2 * 38.0 / 3), Correlation.Pearson([1, 2, 3], [2, 4, 7]), 12);
        // ranks x = 1, 2.5, 2.5, 4 (tie averaged); ranks y = 1, 3, 2, 4
        Assert.Equal(4.5 / Math.Sqrt(4.5 * 5), Correlation.Spearman([1, 2, 2, 3], [1, 3, 2, 4]), 12);
        Assert.Equal([1, 2.5, 2.5, 4], Correlation.AverageRanks([1, 2, 2, 3]));
        Assert.True(double.IsNaN(Correlation.Pearson([1, 1, 1], [1, 2, 3]))); // undefined, as scipy
        Assert.True(double.IsNaN(Correlation.Pearson([1], [2])));
        Assert.Equal("correlation is undefined: every gold score is the same", Correlation.Undefined([1, 1, 1], [1, 2, 3]));
        Assert.Equal("correlation is undefined: the model gives every pair the same score", Correlation.Undefined([1, 2], [3, 3]));
        Assert.Null(Correlation.Undefined([1, 2], [3, 4]));
        Assert.Equal("correlation is undefined with 1 pair", Correlation.Undefined([1], [2])); // was "1 pair(s)"
        Assert.Equal("correlation is undefined with 0 pairs", Correlation.Undefined([], []));
        Assert.Equal(-1, Correlation.Spearman([1, 2, 3], [9, 5, 1]), 12);
    }

    [Fact]
    public void AveragePrecisionIsSklearns()
    {
        // sklearn's documentation example: 0.8333...
        Assert.Equal(5.0 / 6, BinaryMetrics.AveragePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 12);
        // Tied scores form one threshold: (0.5 − 0)·1/2 + (1 − 0.5)·2/3
        Assert.Equal(0.25 + 1.0 / 3, BinaryMetrics.AveragePrecision([0.5, 0.5, 0.2], [1, 0, 1]), 12);
        Assert.Equal(0, BinaryMetrics.AveragePrecision([0.5, 0.2], [0, 0]));
    }

    [Fact]
    public void BestThresholdAccuracyAndF1()
    {
        var acc = BinaryMetrics.BestAccuracy([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]);
        Assert.Equal(1.0, acc.Value);
        Assert.Equal(0.55, acc.Threshold, 12);
        var f1 = BinaryMetrics.BestF1([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]);
        Assert.Equal(1.0, f1.Value);
        Assert.Equal(0.55, f1.Threshold, 12);
        // A threshold cannot split the tie at 0.5 (one positive, one negative): best is 3/4 at 0.7.
        var tie = BinaryMetrics.BestAccuracy([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]);
        Assert.Equal(0.75, tie.Value, 12);
        Assert.Equal(0.7, tie.Threshold, 12);
        // F1: top 1 → p 1, r 1/2 → 2/3; top 3 → p 2/3, r 1 → 0.8
        var tf1 = BinaryMetrics.BestF1([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]);
        Assert.Equal(0.8, tf1.Value, 12);
        Assert.Equal(0.3, tf1.Threshold, 12);
    }

    [Fact]
    public void ClassificationMetricsAreSklearns()
    {
        int[] truth = [0, 0, 1, 1, 2], predicted = [0, 1, 1, 1, 0];
        Assert.Equal(0.6, ClassificationMetrics.Accuracy(truth, predicted), 12);
        Assert.Equal((0.5 + 0.8 + 0) / 3, ClassificationMetrics.MacroF1(truth, predicted), 12);
        Assert.Equal((0.5 * 2 + 0.8 * 2) / 5, ClassificationMetrics.WeightedF1(truth, predicted), 12);
        // A class only predicted (3) counts in macro F1 with F1 0.
        Assert.Equal((1 + 0 + 2.0 / 3) / 3, ClassificationMetrics.MacroF1([0, 1, 1], [0, 3, 1]), 12);
    }

    [Fact]
    public void VMeasureIsSklearns()
    {
        Assert.Equal(1.0, ClusteringMetrics.VMeasure([0, 0, 1, 1], [1, 1, 0, 0]), 12);
        Assert.Equal(0.8, ClusteringMetrics.VMeasure([0, 0, 1, 1], [0, 0, 1, 2]), 12); // sklearn docs
        var (h, c, v) = ClusteringMetrics.Scores([0, 0, 1, 1], [0, 0, 0, 0]);
        Assert.Equal(0, h, 12);
        Assert.Equal(1, c, 12);
        Assert.Equal(0, v, 12);
    }

    [Fact]
    public void MultiLabelF1AndSubsetAccuracyFollowSklearnsDefinitions()
    {
        // Hand-worked: label 0 has tp 1, fp 0, fn 1 (F1 2/3); label 1 tp 2, fp 1, fn 0 (F1 4/5); all: tp 3, fp 1, fn 1.
        bool[] truth = [true, false, true, true, false, true];
        bool[] predicted = [true, true, false, true, false, true];
        Assert.Equal((2.0 / 3 + 0.8) / 2, Skald.Retrieval.Metrics.ClassificationMetrics.MultiLabelMacroF1(truth, predicted, 2), 12);
        Assert.Equal(0.75, Skald.Retrieval.Metrics.ClassificationMetrics.MultiLabelMicroF1(truth, predicted, 2), 12);
        Assert.Equal(1.0 / 3, Skald.Retrieval.Metrics.ClassificationMetrics.SubsetAccuracy(truth, predicted, 2), 12);
        // A label nobody has and nobody predicts counts as F1 0 in the macro mean (zero_division 0).
        Assert.Equal(0.5, Skald.Retrieval.Metrics.ClassificationMetrics.MultiLabelMacroF1([true, false], [true, false], 2), 12);
        Assert.Throws<ArgumentException>(() => Skald.Retrieval.Metrics.ClassificationMetrics.MultiLabelMicroF1(truth, predicted[..5], 2));
    }
}
