using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// AdaptiveLayerLoss's pull of an earlier layer's embeddings towards the last layer's: over rows r of [N, D],
/// p_r = softmax(f_r / T) (the last layer's, not detached), log q_r = log_softmax(l_r / T) (the earlier layer's),
/// KL = (1/N) Σ_r Σ_j p_rj (log p_rj − log q_rj) (torch's <c>kl_div(log q, p, reduction="batchmean")</c>).
/// Gradients: d/dl_rj = (q_rj − p_rj) / (N·T); d/df_rj = p_rj (g_rj − Σ_k p_rk g_rk) / (N·T) with g = log p − log q
/// (the +1 of d(p log p)/dp cancels against the softmax's Jacobian since Σ p = 1).
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/AdaptiveLayerLoss.py
/// </summary>
public static class LayerKlDivergence
{
    /// <summary>
    /// weight · KL(p ‖ q) for <paramref name="final"/> (f) and <paramref name="layer"/> (l), both [N, D]; adds
    /// weight · dKL/df to <paramref name="finalGradient"/> and weight · dKL/dl to <paramref name="layerGradient"/>.
    /// </summary>
    public static double Compute(EmbeddingBatch final, EmbeddingBatch layer, float temperature, double weight,
        EmbeddingBatch finalGradient, EmbeddingBatch layerGradient)
    {
        if (final.Rows != layer.Rows || final.Dim != layer.Dim)
            throw new ArgumentException($"the last layer's embeddings are [{final.Rows}, {final.Dim}], the earlier layer's [{layer.Rows}, {layer.Dim}]");
        if (temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), "the temperature must be above 0");
        int n = final.Rows, d = final.Dim;
        double t = temperature, total = 0, unit = weight / (n * t);
        var logP = new double[d];
        var logQ = new double[d];
        for (int r = 0; r < n; r++)
        {
            LogSoftmax(final.Row(r), t, logP);
            LogSoftmax(layer.Row(r), t, logQ);
            double row = 0;
            for (int j = 0; j < d; j++) row += Math.Exp(logP[j]) * (logP[j] - logQ[j]);
            total += row;
            Span<float> gf = finalGradient.Row(r), gl = layerGradient.Row(r);
            for (int j = 0; j < d; j++)
            {
                double p = Math.Exp(logP[j]);
                gl[j] += (float)((Math.Exp(logQ[j]) - p) * unit);
                gf[j] += (float)(p * (logP[j] - logQ[j] - row) * unit);
            }
        }
        return weight * total / n;
    }

    /// <summary>log softmax(x / t) in double.</summary>
    private static void LogSoftmax(ReadOnlySpan<float> x, double t, double[] result)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < x.Length; j++) max = Math.Max(max, x[j] / t);
        double sum = 0;
        for (int j = 0; j < x.Length; j++) sum += Math.Exp(x[j] / t - max);
        double log = max + Math.Log(sum);
        for (int j = 0; j < x.Length; j++) result[j] = x[j] / t - log;
    }
}
