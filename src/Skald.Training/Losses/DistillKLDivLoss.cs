using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' DistillKLDivLoss with its default similarity (<c>pairwise_dot_score</c>): columns query,
/// positive, negative_1 … negative_N and per row the teacher's N + 1 scores (the positive's, then each negative's; a
/// cross-encoder's, <c>skald data mine-negatives --cross-encoder --margins</c> with scores). With student scores
/// s_ij = q_i·c_ij (c_0 = p) and temperature T, p_i = softmax(s_i / T), t_i = softmax(y_i / T):
/// loss = T² · (1/B) Σ_i Σ_j t_ij (log t_ij − log p_ij) (torch's KLDivLoss, batchmean); d/ds_ij = T (p_ij − t_ij) / B,
/// d/dq_i = Σ_j d/ds_ij · c_ij, d/dc_ij = d/ds_ij · q_i (Lin et al. 2020, https://arxiv.org/abs/2010.11386).
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/DistillKLDivLoss.py
/// </summary>
public sealed class DistillKLDivLoss(float temperature = 1f) : EmbeddingLoss
{
    /// <summary>T: the scores are divided by it before the softmax (above 1: softer distributions).</summary>
    public float Temperature { get; } = temperature > 0 ? temperature : throw new ArgumentOutOfRangeException(nameof(temperature), "temperature must be above 0");

    /// <inheritdoc />
    public override string Name => "distill_kl";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 3, null, "DistillKLDivLoss");
        int b = columns[0].Rows, d = columns[0].Dim, k = columns.Count - 1;
        if (labels is null || labels.Count != b * k)
            throw new ArgumentException($"DistillKLDivLoss needs {k} teacher scores per row (the positive's, then each negative's)");
        double t = Temperature, loss = 0;
        foreach (var g in gradients) Array.Clear(g.Data);
        Span<double> s = stackalloc double[k], teacher = stackalloc double[k];
        for (int i = 0; i < b; i++)
        {
            ReadOnlySpan<float> q = columns[0].Row(i);
            for (int j = 0; j < k; j++)
            {
                ReadOnlySpan<float> c = columns[1 + j].Row(i);
                double dot = 0;
                for (int x = 0; x < d; x++) dot += (double)q[x] * c[x];
                s[j] = dot / t;
                teacher[j] = labels[i * k + j] / t;
            }
            double sl = CosineMath.LogSumExp(s), tl = CosineMath.LogSumExp(teacher);
            Span<float> gq = gradients[0].Row(i);
            for (int j = 0; j < k; j++)
            {
                double logP = s[j] - sl, logT = teacher[j] - tl, tj = Math.Exp(logT);
                loss += t * t * tj * (logT - logP) / b;
                double g = t * (Math.Exp(logP) - tj) / b; // d/ds_ij
                ReadOnlySpan<float> c = columns[1 + j].Row(i);
                Span<float> gc = gradients[1 + j].Row(i);
                for (int x = 0; x < d; x++)
                {
                    gq[x] += (float)(g * c[x]);
                    gc[x] = (float)(g * q[x]);
                }
            }
        }
        return (float)loss;
    }
}
