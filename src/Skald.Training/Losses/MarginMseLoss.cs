using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' MarginMSELoss with its default similarity (<c>pairwise_dot_score</c>) and one negative:
/// columns query, positive (passage one), negative (passage two) and a float label per row, usually a teacher's margin
/// M(q, p) − M(q, n) (a cross-encoder's, <c>skald data mine-negatives --cross-encoder --margins</c>). With
/// m_i = q_i·p_i − q_i·n_i, loss = (1/B) Σ_i (m_i − y_i)²; d/dq_i = g_i (p_i − n_i), d/dp_i = g_i q_i,
/// d/dn_i = −g_i q_i with g_i = 2 (m_i − y_i) / B (Hofstätter et al. 2020, https://arxiv.org/abs/2010.02666).
/// Several negatives (a label per negative) are not read yet.
/// </summary>
public sealed class MarginMseLoss : EmbeddingLoss
{
    /// <inheritdoc />
    public override string Name => "margin_mse";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 3, 3, "MarginMSELoss");
        int b = columns[0].Rows, d = columns[0].Dim;
        if (labels is null || labels.Count != b) throw new ArgumentException("MarginMSELoss needs one float label (the teacher's margin) per row");
        double loss = 0;
        for (int i = 0; i < b; i++)
        {
            ReadOnlySpan<float> q = columns[0].Row(i), p = columns[1].Row(i), n = columns[2].Row(i);
            double margin = 0;
            for (int t = 0; t < d; t++) margin += (double)q[t] * p[t] - (double)q[t] * n[t];
            double error = margin - labels[i];
            loss += error * error / b;
            double g = 2 * error / b;
            Span<float> gq = gradients[0].Row(i), gp = gradients[1].Row(i), gn = gradients[2].Row(i);
            for (int t = 0; t < d; t++)
            {
                gq[t] = (float)(g * ((double)p[t] - n[t]));
                gp[t] = (float)(g * q[t]);
                gn[t] = (float)(-g * q[t]);
            }
        }
        return (float)loss;
    }
}
