using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' OnlineContrastiveLoss (cosine distance, margin 0.5): <see cref="ContrastiveLoss"/> on the hard
/// pairs of the batch only, summed. Negatives (label 0) count when closer than the farthest positive (when there is
/// more than one positive; else than the negatives' mean), positives (label 1) when farther than the closest negative
/// (more than one negative; else the positives' mean); loss = Σ_{hard positives} d² + Σ_{hard negatives}
/// relu(margin − d)², the selection itself carrying no gradient.
/// </summary>
public sealed class OnlineContrastiveLoss(float margin = 0.5f) : EmbeddingLoss
{
    /// <summary>Distance below which a dissimilar pair is pushed apart.</summary>
    public float Margin { get; } = margin;

    /// <inheritdoc />
    public override string Name => "online_contrastive";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        var (distance, unit) = ContrastiveLoss.Distances(columns, labels, "OnlineContrastiveLoss");
        int b = distance.Length;
        var positives = Enumerable.Range(0, b).Where(i => labels![i] == 1).Select(i => distance[i]).ToArray();
        var negatives = Enumerable.Range(0, b).Where(i => labels![i] == 0).Select(i => distance[i]).ToArray();
        double negativeBelow = positives.Length > 1 ? positives.Max() : negatives.DefaultIfEmpty(double.NaN).Average();
        double positiveAbove = negatives.Length > 1 ? negatives.Min() : positives.DefaultIfEmpty(double.NaN).Average();
        double loss = 0;
        var dd = new double[b];
        for (int i = 0; i < b; i++)
        {
            double d = distance[i];
            if (labels![i] == 1 && d > positiveAbove)
            {
                loss += d * d;
                dd[i] = 2 * d;
            }
            else if (labels[i] == 0 && d < negativeBelow)
            {
                double hinge = Math.Max(0, Margin - d);
                loss += hinge * hinge;
                dd[i] = -2 * hinge;
            }
        }
        ContrastiveLoss.Backward(unit, dd, gradients);
        return (float)loss;
    }
}
