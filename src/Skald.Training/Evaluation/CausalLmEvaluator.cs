using Skald.Training.Data;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Evaluation;

/// <summary>
/// The supervised fine-tuning loss on held-out (prompt, response) rows, without dropout: the mean cross-entropy over
/// every response token of the set (each batch's mean weighted by its response tokens). Key: <c>eval_loss</c>, as
/// transformers' Trainer names it (the best model by it is the lowest: <c>evaluation.greater_is_better</c> defaults to false
/// for a metric whose name ends in loss, as transformers' does).
/// </summary>
public sealed class CausalLmEvaluator(CausalLmLoss loss, TextDataset rows) : IEvaluator
{
    /// <inheritdoc />
    public string Name => "causal_lm";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => ["eval_loss"];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        double sum = 0;
        long count = 0;
        for (int s = 0; s < rows.Count; s += batchSize)
        {
            var batch = rows.Batch([.. Enumerable.Range(s, Math.Min(batchSize, rows.Count - s))]);
            var (tokens, labels) = loss.Batch(batch.Columns[0], batch.Columns[1]);
            int n = 0;
            for (int b = 0; b < tokens.Batch; b++)
            {
                for (int t = 1; t < tokens.Seq; t++) n += labels[b * tokens.Seq + t] >= 0 ? 1 : 0;
            }
            if (n == 0) continue;
            sum += (double)loss.Loss(encoder, tokens, labels, backward: false) * n;
            count += n;
        }
        return new Dictionary<string, double> { ["eval_loss"] = count == 0 ? double.NaN : sum / count };
    }
}
