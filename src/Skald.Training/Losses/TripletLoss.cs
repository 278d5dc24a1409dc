using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' TripletLoss with its defaults (TripletDistanceMetric.EUCLIDEAN = F.pairwise_distance, which
/// adds eps 1e-6 to the difference; margin 5): columns anchor, positive, negative;
/// loss = mean_i relu(‖a_i − p_i‖ − ‖a_i − n_i‖ + margin).
/// </summary>
public sealed class TripletLoss(float margin = 5f) : EmbeddingLoss
{
    private const double Eps = 1e-6;

    /// <summary>Margin.</summary>
    public float Margin { get; } = margin;

    /// <inheritdoc />
    public override string Name => "triplet";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 3, 3, "TripletLoss");
        int b = columns[0].Rows, d = columns[0].Dim;
        foreach (var g in gradients) Array.Clear(g.Data);
        double loss = 0;
        var diffP = new double[d];
        var diffN = new double[d];
        for (int i = 0; i < b; i++)
        {
            double dp = Distance(columns[0].Row(i), columns[1].Row(i), diffP);
            double dn = Distance(columns[0].Row(i), columns[2].Row(i), diffN);
            double z = dp - dn + Margin;
            if (z <= 0) continue;
            loss += z / b;
            var ga = gradients[0].Row(i);
            var gp = gradients[1].Row(i);
            var gn = gradients[2].Row(i);
            for (int t = 0; t < d; t++)
            {
                double a = diffP[t] / Math.Max(dp, 1e-30) / b, n = diffN[t] / Math.Max(dn, 1e-30) / b;
                ga[t] = (float)(a - n);
                gp[t] = (float)-a;
                gn[t] = (float)n;
            }
        }
        return (float)loss;
    }

    private static double Distance(ReadOnlySpan<float> x, ReadOnlySpan<float> y, double[] diff)
    {
        double s = 0;
        for (int t = 0; t < x.Length; t++)
        {
            diff[t] = (double)x[t] - y[t] + Eps;
            s += diff[t] * diff[t];
        }
        return Math.Sqrt(s);
    }
}
