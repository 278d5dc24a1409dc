namespace Skald.Training.Config;

/// <summary>The <c>loss</c> keys of the cross-encoder distillation and learning-to-rank losses, each refused under another loss.</summary>
internal static class RankingLossKeys
{
    /// <summary>Throws naming the first key set for a loss that does not read it.</summary>
    public static void Check(SectionReader l, LossSection loss)
    {
        bool listwise = LossSection.ListwiseTypes.Contains(loss.Type);
        var owners = new (string Key, bool Read, string Owner)[]
        {
            ("activation", listwise || loss.Type is "ce_mse" or "ce_margin_mse", "the cross-encoder distillation and listwise losses' (ce_mse, ce_margin_mse, listnet, listmle, plistmle, lambda, ranknet)"),
            ("weighting_scheme", loss.Type == "lambda", "LambdaLoss's (loss.type: lambda)"),
            ("mu", loss.Type == "lambda" && loss.WeightingScheme == "ndcg_loss2pp", "LambdaLoss's with weighting_scheme ndcg_loss2pp"),
            ("k", loss.Type is "lambda" or "ranknet", "LambdaLoss's and RankNetLoss's (loss.type: lambda or ranknet)"),
            ("sigma", loss.Type is "lambda" or "ranknet", "LambdaLoss's and RankNetLoss's (loss.type: lambda or ranknet)"),
            ("reduction_log", loss.Type is "lambda" or "ranknet", "LambdaLoss's and RankNetLoss's (loss.type: lambda or ranknet)"),
            ("respect_input_order", loss.Type is "listmle" or "plistmle", "ListMLELoss's and PListMLELoss's (loss.type: listmle or plistmle)"),
        };
        foreach (var (key, read, owner) in owners)
        {
            if (l.Str(key) is not null && !read) throw new TrainingException($"{l.Where(key)}: loss.{key} is {owner}");
        }
        if (loss.Sigma <= 0) throw new TrainingException($"{l.Where("sigma")}: loss.sigma must be above 0");
        if (loss.PositionWeights is not null && loss.Type != "plistmle")
            throw new TrainingException($"{l.Where("position_weights")}: loss.position_weights is PListMLELoss's (loss.type: plistmle)");
        if (loss.PositionWeights is { } w && (w.Count == 0 || w.Any(v => !(v >= 0) || float.IsInfinity(v)) || w.All(v => v == 0)))
            throw new TrainingException($"{l.Where("position_weights")}: loss.position_weights must be finite weights ≥ 0, not all 0");
    }
}
