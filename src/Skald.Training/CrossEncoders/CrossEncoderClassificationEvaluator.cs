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
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/evaluation/classification.py</remarks>
public sealed class CrossEncoderClassificationEvaluator : IEvaluator
{
    private readonly CrossEncoderLoss loss;
    private readonly TextDataset rows;
    private readonly int[] truth;

    /// <summary>Evaluates <paramref name="loss"/>'s model on <paramref name="rows"/>: (sentence1, sentence2) rows with a class label.</summary>
    public CrossEncoderClassificationEvaluator(CrossEncoderLoss loss, TextDataset rows)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Columns.Count != 2 || rows.Labels is not { } labels)
            throw new Config.TrainingException($"{rows.Name}: evaluating a {loss.Head.NumLabels}-label cross-encoder needs (sentence1, sentence2) rows with a class label");
        truth = new int[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            float y = labels[i];
            if (!(y >= 0 && y < loss.Head.NumLabels && y == MathF.Floor(y)))
                throw new Config.TrainingException($"{rows.Name}: {rows.Where(i)} has label {y}, not a class of this {loss.Head.NumLabels}-label classifier (0 … {loss.Head.NumLabels - 1})");
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
    public IReadOnlyList<string> MetricNames => ["eval_classification_f1_macro", "eval_classification_f1_micro", "eval_classification_f1_weighted", "eval_classification_accuracy"];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
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
