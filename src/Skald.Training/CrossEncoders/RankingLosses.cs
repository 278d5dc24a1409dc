using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// The cross-encoder distillation (<c>ce_mse</c>, <c>ce_margin_mse</c>) and learning-to-rank (<c>listnet</c>,
/// <c>listmle</c>, <c>plistmle</c>, <c>lambda</c>, <c>ranknet</c>) losses from the <c>loss</c> section, and what
/// their training files must hold.
/// </summary>
public static class RankingLosses
{
    /// <summary>The loss named by <paramref name="l"/>'s type over <paramref name="model"/>.</summary>
    public static CrossEncoderLoss Create(LossSection l, TrainableEncoder model)
    {
        ArgumentNullException.ThrowIfNull(l);
        bool sigmoid = l.Activation == "sigmoid";
        return l.Type switch
        {
            "ce_mse" => new CrossEncoderMseLoss(model, margin: false, sigmoid),
            "ce_margin_mse" => new CrossEncoderMseLoss(model, margin: true, sigmoid),
            "listnet" => new ListNetLoss(model, sigmoid),
            "listmle" => new PListMleLoss(model, weighted: false, l.RespectInputOrder, sigmoid),
            "plistmle" => new PListMleLoss(model, weighted: true, l.RespectInputOrder, sigmoid, positionWeights: l.PositionWeights),
            "lambda" => new LambdaLoss(model, Scheme(l.WeightingScheme), l.K, l.Sigma, l.Mu, l.ReductionLog == "natural", sigmoid),
            "ranknet" => new LambdaLoss(model, LambdaWeighting.None, l.K, l.Sigma, l.Mu, l.ReductionLog == "natural", sigmoid),
            _ => throw new TrainingException($"loss.type {l.Type} is not a ranking loss"),
        };
    }

    /// <summary>What is wrong with <paramref name="d"/>'s columns for loss type <paramref name="type"/> (null: nothing, or not one of these losses).</summary>
    public static string? ColumnProblem(string type, TextDataset d)
    {
        ArgumentNullException.ThrowIfNull(d);
        int documents = d.Columns.Count - 1;
        return type switch
        {
            "ce_mse" when d.Columns.Count != 2 || d.Labels is null || d.LabelWidth != 1
                => "needs (query, document) text columns and a label column (the teacher's score of the pair)",
            "ce_margin_mse" when d.Columns.Count < 3 || d.Labels is null
                => "needs (query, positive, negative[, negative...]) text columns and a label column (the teacher's margin score(q, pos) − score(q, neg), a list of them for several negatives, or the scores themselves)",
            "ce_margin_mse" when d.LabelWidth != d.Columns.Count - 2 && d.LabelWidth != d.Columns.Count - 1
                => Trainer.LossColumns.MarginLabels(d),
            "listnet" or "listmle" or "plistmle" or "lambda" or "ranknet" when d.Columns.Count < 2
                => "needs a query column and documents: a list column with a 'labels' list per row (JSONL or Parquet, as skald data mine-negatives --format labeled-list writes), or (query, document, document...) columns",
            "listnet" or "listmle" or "plistmle" or "lambda" or "ranknet" when d.ListColumn is not null && d.Columns.Count - d.ListWidth != 1
                => $"reads one query column before the list '{d.ListColumn}', not {d.Columns.Count - d.ListWidth} (set data.columns)",
            "listnet" or "listmle" or "plistmle" or "lambda" or "ranknet" when d.Labels is not null && d.LabelWidth != documents
                => $"needs one label per document, {documents} per row, not {d.LabelWidth}",
            _ => null,
        };
    }

    private static LambdaWeighting Scheme(string name) => name switch
    {
        "none" => LambdaWeighting.None,
        "ndcg_loss1" => LambdaWeighting.NdcgLoss1,
        "ndcg_loss2" => LambdaWeighting.NdcgLoss2,
        "lambda_rank" => LambdaWeighting.LambdaRank,
        _ => LambdaWeighting.NdcgLoss2PP,
    };
}
