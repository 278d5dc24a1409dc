using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Losses;

namespace Skald.Training.Evaluation;

/// <summary>
/// sentence-transformers' <c>LabelAccuracyEvaluator</c>: the share of labelled eval pairs whose SoftmaxLoss classifier
/// prediction (the arg-max of its logits over (u, v, |u − v|), with the weights being trained) is the label; runs when
/// <c>loss.type</c> is <c>softmax</c> and the eval rows are two texts and an integer label. Key:
/// <c>eval_softmax_accuracy</c>.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/LabelAccuracyEvaluator.py</remarks>
public sealed class LabelAccuracyEvaluator : IEvaluator
{
    private readonly SoftmaxLoss loss;
    private readonly string[] first, second;
    private readonly int[] labels;

    /// <summary>The pairs of <paramref name="eval"/> (see <see cref="Suits"/>) scored by <paramref name="loss"/>'s classifier.</summary>
    public LabelAccuracyEvaluator(SoftmaxLoss loss, TextDataset eval)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(eval);
        if (!Suits(eval)) throw new ArgumentException("two text columns and one integer label per row needed", nameof(eval));
        this.loss = loss;
        first = [.. eval.Rows.Select(r => r[0])];
        second = [.. eval.Rows.Select(r => r[1])];
        labels = [.. eval.Labels!.Select(y => (int)y)];
        foreach (int y in labels)
        {
            if (y < 0 || y >= loss.NumLabels)
                throw new TrainingException($"{eval.Name}: label {y} is not in 0..{loss.NumLabels - 1} (loss.num_labels {loss.NumLabels})");
        }
    }

    /// <summary>Whether <paramref name="eval"/> is two text columns with one integer label per row.</summary>
    public static bool Suits(TextDataset eval) =>
        eval.Columns.Count == 2 && eval.Labels is { } y && eval.LabelWidth == 1 && y.Count == eval.Count && eval.Count > 0 && y.All(v => v == MathF.Floor(v));

    /// <inheritdoc />
    public string Name => "softmax";

    /// <inheritdoc />
    public string? Task => "Label Accuracy";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => ["eval_softmax_accuracy"];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        var u = model.Encode(first, batchSize);
        var v = model.Encode(second, batchSize);
        var features = new double[3 * model.Dimension];
        var logits = new double[loss.NumLabels];
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            loss.Logits(u[i], v[i], features, logits);
            int best = 0;
            for (int c = 1; c < logits.Length; c++) if (logits[c] > logits[best]) best = c; // the first of equal maxima, as torch.argmax
            if (best == labels[i]) correct++;
        }
        return new Dictionary<string, double> { ["eval_softmax_accuracy"] = (double)correct / labels.Length };
    }
}
