using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>Unsupervised SimCSE: MNRL over (text, text) pairs; dropout makes the two views differ.</summary>
public static class UnsupervisedSimCse
{
    /// <summary>The batch (texts, texts) to train with <see cref="MultipleNegativesRankingLoss"/> and dropout on.</summary>
    public static TrainingBatch Pairs(IReadOnlyList<string> texts) => new([texts, texts]);
}
