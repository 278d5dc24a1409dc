using Skald.Retrieval.Metrics;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Losses;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// Evaluation of a cross-encoder with more than one label during training, as sentence-transformers'
/// CrossEncoderClassificationEvaluator reports a multi-class model: each (sentence1, sentence2) row's predicted class
/// is its largest logit, compared with the row's label. Reported (Skald.Retrieval's one classification-metric
/// implementation): <c>eval_classification_f1_macro</c> (first: sentence-transformers' primary metric, the default
/// for picking the best model), <c>eval_classification_f1_micro</c> and <c>eval_classification_f1_weighted</c>,
/// upstream's three, and <c>eval_classification_accuracy</c> (micro F1 equals accuracy for one label per row: every
/// wrong row is one false positive and one false negative, so precision, recall and F1 are all the share right).
/// A one-label model (chosen with <c>evaluation.cross_encoder: classification</c>; 0/1 labels) is upstream's binary
/// path: its scores (the logit through the saved model's activation, as <c>predict</c> gives it) against the labels,
/// <c>eval_classification_accuracy</c> and <c>_accuracy_threshold</c>, <c>_f1</c>, <c>_f1_threshold</c>,
/// <c>_precision</c>, <c>_recall</c> (BinaryClassificationEvaluator's threshold sweeps) and
/// <c>_average_precision</c>, the primary metric (Skald.Retrieval's <see cref="BinaryMetrics"/>).
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/evaluation/classification.py</remarks>
public sealed class CrossEncoderClassificationEvaluator : IEvaluator
{
    private readonly CrossEncoderLoss loss;
    private readonly TextDataset rows;
    private readonly int[] truth;
    private readonly bool binary; // a one-label model: upstream's num_labels == 1 path

    /// <summary>A one-label model's keys, in upstream's order.</summary>
    private static readonly string[] BinaryKeys = [.. new[] { "accuracy", "accuracy_threshold", "f1", "f1_threshold", "precision", "recall", "average_precision" }
        .Select(k => "eval_classification_" + k)];

    /// <summary>Evaluates <paramref name="loss"/>'s model on <paramref name="rows"/>: (sentence1, sentence2) rows with a class label.</summary>
    public CrossEncoderClassificationEvaluator(CrossEncoderLoss loss, TextDataset rows)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(rows);
        binary = loss.Head.NumLabels == 1;
        if (rows.Columns.Count != 2 || rows.Labels is not { } labels || rows.LabelWidth != 1)
            throw new Config.TrainingException($"{rows.Name}: evaluating a {loss.Head.NumLabels}-label cross-encoder by classification needs (sentence1, sentence2) rows with a class label");
        int classes = binary ? 2 : loss.Head.NumLabels;
        truth = new int[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            float y = labels[i];
            if (!(y >= 0 && y < classes && y == MathF.Floor(y)))
                throw new Config.TrainingException(binary
                    ? $"{rows.Name}: {rows.Where(i)} has label {y}; a one-label cross-encoder's classification evaluation takes labels 0 and 1"
                    : $"{rows.Name}: {rows.Where(i)} has label {y}, not a class of this {loss.Head.NumLabels}-label classifier (0 … {loss.Head.NumLabels - 1})");
            truth[i] = (int)y;
        }
        this.loss = loss;
        this.rows = rows;
    }

    /// <inheritdoc />
    public string Name => "classification";

    /// <inheritdoc />
    public string? Task => "Cross Encoder Classification";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => binary ? BinaryKeys
        : ["eval_classification_f1_macro", "eval_classification_f1_micro", "eval_classification_f1_weighted", "eval_classification_accuracy"];

    /// <inheritdoc />
    /// <remarks>Upstream's <c>average_precision</c> for a one-label model, else <c>f1_macro</c>.</remarks>
    public string PrimaryMetric => binary ? "eval_classification_average_precision" : MetricNames[0];

    /// <summary>
    /// Upstream's one-label metrics of <paramref name="scores"/> against 0/1 <paramref name="labels"/>, keys without
    /// <c>eval_classification_</c>: the best accuracy and F1 over thresholds between neighbouring scores (a higher score
    /// more likely 1), the F1 cut's precision and recall, and average precision.
    /// </summary>
    public static SortedDictionary<string, double> Binary(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        var accuracy = BinaryMetrics.BestAccuracy(scores, labels);
        var f1 = BinaryMetrics.BestF1(scores, labels);
        return new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = accuracy.Value,
            ["accuracy_threshold"] = accuracy.Threshold,
            ["f1"] = f1.Value,
            ["f1_threshold"] = f1.Threshold,
            ["precision"] = f1.Precision,
            ["recall"] = f1.Recall,
            ["average_precision"] = BinaryMetrics.AveragePrecision(scores, labels),
        };
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        if (binary)
            return Binary(CrossEncoderCorrelationEvaluator.Predict(loss, model, rows, batchSize), truth).ToDictionary(kv => "eval_classification_" + kv.Key, kv => kv.Value);
        var encoder = EmbeddingLoss.AsEncoder(model);
        int classes = loss.Head.NumLabels;
        var predicted = new int[rows.Count];
        // Longest first in batches, as inference does: little padding.
        var order = Enumerable.Range(0, rows.Count).OrderByDescending(i => rows.Rows[i][0].Length + rows.Rows[i][1].Length).ToArray();
        for (int s = 0; s < order.Length; s += batchSize)
        {
            var part = order.AsSpan(s, Math.Min(batchSize, order.Length - s)).ToArray();
            var logits = loss.Logits(encoder, [.. part.Select(i => rows.Rows[i][0])], [.. part.Select(i => rows.Rows[i][1])]);
            for (int j = 0; j < part.Length; j++)
            {
                int best = 0;
                for (int c = 1; c < classes; c++)
                    if (logits[j * classes + c] > logits[j * classes + best]) best = c;
                predicted[part[j]] = best;
            }
        }
        double accuracy = ClassificationMetrics.Accuracy(truth, predicted);
        return new Dictionary<string, double>
        {
            ["eval_classification_f1_macro"] = ClassificationMetrics.MacroF1(truth, predicted),
            ["eval_classification_f1_micro"] = accuracy,
            ["eval_classification_f1_weighted"] = ClassificationMetrics.WeightedF1(truth, predicted),
            ["eval_classification_accuracy"] = accuracy,
        };
    }
}
