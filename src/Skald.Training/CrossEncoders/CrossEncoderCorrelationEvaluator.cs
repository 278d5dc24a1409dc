using Skald.Models.CrossEncoders;
using Skald.Retrieval.Metrics;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Losses;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// Evaluation of a one-label cross-encoder during training on scored pairs, as sentence-transformers'
/// CrossEncoderCorrelationEvaluator reports it
/// (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/evaluation/correlation.py):
/// the model's scores of the (sentence1, sentence2) rows (its logits through the activation the saved model applies,
/// as <c>predict</c> gives them) against the rows' labels, <c>eval_correlation_spearman</c> (first: the default for
/// picking the best model) and <c>eval_correlation_pearson</c>, scipy's definitions (Skald.Retrieval's one
/// implementation); NaN when undefined (constant scores).
/// </summary>
public sealed class CrossEncoderCorrelationEvaluator : IEvaluator
{
    private readonly CrossEncoderLoss loss;
    private readonly TextDataset rows;

    /// <summary>Evaluates <paramref name="loss"/>'s model on <paramref name="rows"/>: (sentence1, sentence2) rows with a score.</summary>
    public CrossEncoderCorrelationEvaluator(CrossEncoderLoss loss, TextDataset rows)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Columns.Count != 2 || rows.Labels is null || rows.LabelWidth != 1 || loss.Head.NumLabels != 1)
            throw new Config.TrainingException($"{rows.Name}: correlation evaluation needs (sentence1, sentence2) rows with a score and a one-label cross-encoder");
        this.loss = loss;
        this.rows = rows;
    }

    /// <summary>
    /// Whether scored pairs are evaluated by correlation rather than by reranking: two columns with one label each and
    /// no first text twice (STS-style pairs: no query has documents to order).
    /// </summary>
    public static bool Suits(TextDataset rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Columns.Count != 2 || rows.Labels is null || rows.LabelWidth != 1 || rows.ListColumn is not null) return false;
        return rows.Rows.Select(r => r[0]).Distinct(StringComparer.Ordinal).Count() == rows.Count;
    }

    /// <inheritdoc />
    public string Name => "correlation";

    /// <inheritdoc />
    public string? Task => "Cross Encoder Correlation";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => ["eval_correlation_spearman", "eval_correlation_pearson"];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        var scores = Predict(loss, model, rows, batchSize);
        var gold = rows.Labels!.Select(y => (double)y).ToArray();
        return new Dictionary<string, double>
        {
            ["eval_correlation_spearman"] = Correlation.Spearman(gold, scores),
            ["eval_correlation_pearson"] = Correlation.Pearson(gold, scores),
        };
    }

    /// <summary>
    /// A one-label cross-encoder's score of each (sentence1, sentence2) row of <paramref name="rows"/>, in row order: its
    /// logit through the activation the saved model applies, as upstream's <c>predict</c> gives it.
    /// </summary>
    internal static double[] Predict(CrossEncoderLoss loss, ITrainableModel model, TextDataset rows, int batchSize)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        var scores = new double[rows.Count];
        for (int s = 0; s < rows.Count; s += batchSize)
        {
            int n = Math.Min(batchSize, rows.Count - s);
            var logits = loss.Logits(encoder, [.. rows.Rows.Skip(s).Take(n).Select(r => r[0])], [.. rows.Rows.Skip(s).Take(n).Select(r => r[1])]);
            for (int i = 0; i < n; i++)
                scores[s + i] = loss.Activation == ScoreActivation.Sigmoid ? 1 / (1 + Math.Exp(-logits[i])) : logits[i];
        }
        return scores;
    }
}
