namespace Skald.Evaluation.Generation;

/// <summary>Precision, recall and F-measure of one prediction against its reference (ROUGE-L, BERTScore).</summary>
/// <param name="Precision">Share of the prediction that the reference supports.</param>
/// <param name="Recall">Share of the reference that the prediction covers.</param>
/// <param name="F">Their harmonic mean (β = 1), 0 when both are 0.</param>
public readonly record struct PrfScore(double Precision, double Recall, double F)
{
    /// <summary>The score of precision <paramref name="p"/> and recall <paramref name="r"/>: F = 2PR / (P + R), 0 when P + R = 0.</summary>
    public static PrfScore Of(double p, double r) => new(p, r, p + r > 0 ? 2 * p * r / (p + r) : 0);
}
