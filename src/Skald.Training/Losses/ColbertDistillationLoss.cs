using Skald.Tensors.Kernels;

namespace Skald.Training.Losses;

/// <summary>
/// PyLate's <c>losses.Distillation</c> for a ColBERT (<c>loss.type: colbert_distillation</c>): rows as
/// <c>distill_kl</c> reads them, columns query, document_1 … document_k and per row the teacher's k scores. With the
/// student's s_ij = MaxSim(q_i, d_ij) (<c>colbert_kd_scores</c>), min-max normalised per row when normalize_scores (the
/// default: s' = (s − min) / (max − min + 1e-8)), p_i = softmax(s'_i) and t_i = softmax(teacher_i), the loss is
/// torch's KLDivLoss(log_target) Σ_j t_ij (log t_ij − log p_ij), averaged over the rows (batchmean, size_average) or
/// summed; no temperature. d/ds'_ij = (p_ij − t_ij) / B; through the normalisation, with R = max − min + 1e-8 and G the
/// row's d/ds', d/ds_l = G_l / R − [l = argmin] Σ G / R − ([l = argmax] − [l = argmin]) Σ_j G_j s'_j / R.
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/losses/distillation.py
/// and pylate/scores/colbert.py at the same commit.
/// </summary>
public sealed class ColbertDistillationLoss(bool normalizeScores = true, bool sizeAverage = true) : ColbertLoss
{
    private const double Epsilon = 1e-8; // PyLate's, against max = min

    /// <summary>Min-max normalisation of each row's student scores before the softmax.</summary>
    public bool NormalizeScores { get; } = normalizeScores;

    /// <summary>The mean over the batch's rows (true, KLDivLoss batchmean) or their sum.</summary>
    public bool SizeAverage { get; } = sizeAverage;

    /// <inheritdoc />
    public override string Name => "colbert_distillation";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<float[]> queries, IReadOnlyList<IReadOnlyList<float[]>> documents, int dim,
        IReadOnlyList<float>? labels, IReadOnlyList<float[]> queryGradients, IReadOnlyList<IReadOnlyList<float[]>> documentGradients)
    {
        int b = queries.Count, k = documents.Count;
        if (labels is null || labels.Count != b * k)
            throw new ArgumentException($"colbert_distillation needs {k} teacher scores per row (one per document), got {labels?.Count ?? 0} for {b} rows");
        double divide = SizeAverage ? b : 1, loss = 0;
        Span<double> s = stackalloc double[k], scaled = stackalloc double[k], teacher = stackalloc double[k], g = stackalloc double[k];
        for (int i = 0; i < b; i++)
        {
            int lo = 0, hi = 0;
            for (int j = 0; j < k; j++)
            {
                s[j] = MaxSim.Score(queries[i], documents[j][i], dim);
                teacher[j] = labels[i * k + j];
                if (s[j] < s[lo]) lo = j;
                if (s[j] > s[hi]) hi = j;
            }
            double range = NormalizeScores ? s[hi] - s[lo] + Epsilon : 1;
            for (int j = 0; j < k; j++) scaled[j] = NormalizeScores ? (s[j] - s[lo]) / range : s[j];
            double sl = CosineMath.LogSumExp(scaled), tl = CosineMath.LogSumExp(teacher);
            double sumG = 0, sumGs = 0;
            for (int j = 0; j < k; j++)
            {
                double logP = scaled[j] - sl, logT = teacher[j] - tl, tj = Math.Exp(logT);
                loss += tj * (logT - logP) / divide;
                g[j] = (Math.Exp(logP) - tj) / divide;
                sumG += g[j];
                sumGs += g[j] * scaled[j];
            }
            for (int j = 0; j < k; j++)
            {
                double d = g[j];
                if (NormalizeScores)
                {
                    d = g[j] / range - (j == hi ? sumGs / range : 0) + (j == lo ? (sumGs - sumG) / range : 0);
                }
                MaxSim.Backward(queries[i], documents[j][i], dim, 1f, (float)d, queryGradients[i], documentGradients[j][i]);
            }
        }
        return (float)loss;
    }
}
