using Skald.Retrieval.Data;
using Skald.Training.Modeling;
using Skald.Tokenizers.Serialization;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' MarginMSELoss with its default similarity (<c>pairwise_dot_score</c>): columns query,
/// positive, negative_1 … negative_N and per row either N labels, the teacher's margins M(q, p) − M(q, n_j) (a
/// cross-encoder's, <c>skald data mine-negatives --cross-encoder --margins</c>), or N + 1, the teacher's scores of the
/// positive and then of each negative (their differences are the margins). With m_ij = q_i·p_i − q_i·n_ij,
/// loss = (1/(B·N)) Σ_ij (m_ij − y_ij)²; with g_ij = 2 (m_ij − y_ij) / (B·N): d/dq_i = Σ_j g_ij (p_i − n_ij),
/// d/dp_i = Σ_j g_ij q_i, d/dn_ij = −g_ij q_i (Hofstätter et al. 2020, https://arxiv.org/abs/2010.02666).
/// </summary>
public sealed class MarginMseLoss : EmbeddingLoss
{
    /// <inheritdoc />
    public override string Name => "margin_mse";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 3, null, "MarginMSELoss");
        int b = columns[0].Rows, d = columns[0].Dim, negatives = columns.Count - 2;
        if (labels is null || labels.Count != b * negatives && labels.Count != b * (negatives + 1))
            throw new ArgumentException($"MarginMSELoss needs {Counted.Of(negatives, "margin")} or {negatives + 1} scores per row");
        bool scores = labels.Count == b * (negatives + 1);
        int width = scores ? negatives + 1 : negatives;
        double loss = 0, n = (double)b * negatives;
        foreach (var g in gradients) Array.Clear(g.Data);
        for (int i = 0; i < b; i++)
        {
            ReadOnlySpan<float> q = columns[0].Row(i), p = columns[1].Row(i);
            Span<float> gq = gradients[0].Row(i), gp = gradients[1].Row(i);
            double qp = 0;
            for (int t = 0; t < d; t++) qp += (double)q[t] * p[t];
            for (int j = 0; j < negatives; j++)
            {
                ReadOnlySpan<float> neg = columns[2 + j].Row(i);
                Span<float> gn = gradients[2 + j].Row(i);
                double qn = 0;
                for (int t = 0; t < d; t++) qn += (double)q[t] * neg[t];
                double target = scores ? (double)labels[i * width] - labels[i * width + 1 + j] : labels[i * width + j];
                double error = qp - qn - target;
                loss += error * error / n;
                double g = 2 * error / n;
                for (int t = 0; t < d; t++)
                {
                    gq[t] += (float)(g * ((double)p[t] - neg[t]));
                    gp[t] += (float)(g * q[t]);
                    gn[t] = (float)(-g * q[t]);
                }
            }
        }
        return (float)loss;
    }
}
