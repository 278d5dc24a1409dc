using Skald.Retrieval.Metrics;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Losses;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// Evaluation of a multi-label cross-encoder (<c>bce</c> over several labels) during training: a label is predicted
/// when its logit is above 0 (sigmoid above ½) and true when the row's label is at least ½. Reported (Skald.Retrieval's
/// one classification-metric implementation, sklearn's definitions): <c>eval_multilabel_f1_macro</c> (first: the
/// default for picking the best model), <c>eval_multilabel_f1_micro</c> and <c>eval_multilabel_subset_accuracy</c>
/// (rows with every label right).
/// </summary>
public sealed class CrossEncoderMultiLabelEvaluator : IEvaluator
{
    private readonly CrossEncoderLoss loss;
    private readonly TextDataset rows;
    private readonly bool[] truth;

    /// <summary>Evaluates <paramref name="loss"/>'s model on <paramref name="rows"/>: (sentence1, sentence2) rows with a list of labels.</summary>
    public CrossEncoderMultiLabelEvaluator(CrossEncoderLoss loss, TextDataset rows)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(rows);
        int labels = loss.Head.NumLabels;
        if (rows.Columns.Count != 2 || rows.Labels is null || rows.LabelWidth != labels)
            throw new Config.TrainingException($"{rows.Name}: evaluating a {labels}-label multi-label cross-encoder needs (sentence1, sentence2) rows with a list of {labels} labels");
        truth = [.. rows.Labels.Select(y => y >= 0.5f)];
        this.loss = loss;
        this.rows = rows;
    }

    /// <inheritdoc />
    public string Name => "multilabel";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => ["eval_multilabel_f1_macro", "eval_multilabel_f1_micro", "eval_multilabel_subset_accuracy"];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        int labels = loss.Head.NumLabels;
        var predicted = new bool[truth.Length];
        for (int s = 0; s < rows.Count; s += batchSize)
        {
            int n = Math.Min(batchSize, rows.Count - s);
            var logits = loss.Logits(encoder, [.. rows.Rows.Skip(s).Take(n).Select(r => r[0])], [.. rows.Rows.Skip(s).Take(n).Select(r => r[1])]);
            for (int i = 0; i < n * labels; i++) predicted[s * labels + i] = logits[i] > 0;
        }
        return new Dictionary<string, double>
        {
            ["eval_multilabel_f1_macro"] = ClassificationMetrics.MultiLabelMacroF1(truth, predicted, labels),
            ["eval_multilabel_f1_micro"] = ClassificationMetrics.MultiLabelMicroF1(truth, predicted, labels),
            ["eval_multilabel_subset_accuracy"] = ClassificationMetrics.SubsetAccuracy(truth, predicted, labels),
        };
    }
}
