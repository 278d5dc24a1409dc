using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' ContrastiveLoss with its defaults (cosine distance, margin 0.5, the batch mean; Hadsell,
/// Chopra &amp; LeCun 2006): pairs (sentence1, sentence2) labelled 1 (similar) or 0 (not). With d_i = 1 − cos(u_i, v_i),
/// loss = (1/B) Σ_i ½ (y_i d_i² + (1 − y_i) relu(margin − d_i)²); d/dd_i = (y_i d_i − (1 − y_i) relu(margin − d_i)) / B.
/// <see cref="OnlineContrastiveLoss"/> keeps only the hard pairs and shares the distance and its backward.
/// </summary>
public sealed class ContrastiveLoss(float margin = 0.5f) : EmbeddingLoss
{
    /// <summary>Distance below which a dissimilar pair is pushed apart.</summary>
    public float Margin { get; } = margin;

    /// <inheritdoc />
    public override string Name => "contrastive";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        var (distance, unit) = Distances(columns, labels, "ContrastiveLoss");
        int b = distance.Length;
        double loss = 0;
        var dd = new double[b];
        for (int i = 0; i < b; i++)
        {
            double d = distance[i], hinge = Math.Max(0, Margin - d);
            loss += 0.5 * (labels![i] == 1 ? d * d : hinge * hinge) / b;
            dd[i] = (labels[i] == 1 ? d : -hinge) / b;
        }
        Backward(unit, dd, gradients);
        return (float)loss;
    }

    /// <summary>
    /// Cosine distances 1 − cos(u_i, v_i) of a batch of labelled pairs (labels 0 or 1), with the unit rows and norms
    /// <see cref="Backward"/> needs.
    /// </summary>
    internal static (double[] Distance, (double[] Unit, double[] Norms)[] Unit) Distances(IReadOnlyList<EmbeddingBatch> columns,
        IReadOnlyList<float>? labels, string name)
    {
        RequireColumns(columns, 2, 2, name);
        int b = columns[0].Rows, dim = columns[0].Dim;
        if (labels is null || labels.Count != b) throw new ArgumentException($"{name} needs one label (1 similar, 0 not) per pair");
        foreach (float y in labels)
            if (y is not (0 or 1)) throw new ArgumentException($"{name} needs labels 0 or 1, got {y}");
        var unit = new[] { CosineMath.Normalize(columns[0]), CosineMath.Normalize(columns[1]) };
        var distance = new double[b];
        for (int i = 0; i < b; i++) distance[i] = 1 - CosineMath.Dot(unit[0].Unit, i, unit[1].Unit, i, dim);
        return (distance, unit);
    }

    /// <summary>Gradients of the two columns from d(loss)/d(distance_i): d cos = −d distance, through the normalisation.</summary>
    internal static void Backward((double[] Unit, double[] Norms)[] unit, double[] dDistance, IReadOnlyList<EmbeddingBatch> gradients)
    {
        int b = dDistance.Length, dim = gradients[0].Dim;
        var du = new double[b * dim];
        var dv = new double[b * dim];
        for (int i = 0; i < b; i++)
        {
            for (int t = 0; t < dim; t++)
            {
                du[i * dim + t] = -dDistance[i] * unit[1].Unit[i * dim + t];
                dv[i * dim + t] = -dDistance[i] * unit[0].Unit[i * dim + t];
            }
        }
        CosineMath.Backward(unit[0].Unit, unit[0].Norms, du, gradients[0]);
        CosineMath.Backward(unit[1].Unit, unit[1].Norms, dv, gradients[1]);
    }
}
