using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' MegaBatchMarginLoss (Wieting and Gimpel 2018, ParaNMT): columns anchor, positive; for
/// anchor i the hardest negative is the most similar positive of another row, and with cosine similarities c_ij =
/// cos(a_i, p_j) the loss is mean_i [relu(m₊ − c_ii) + relu(max_{j≠i} c_ij − m₋)], m₊ = positive_margin (0.8),
/// m₋ = negative_margin (0.3): what upstream's <c>forward_non_mini_batched</c> computes over the whole batch. Upstream's
/// default mini-batched version approximates it to save memory (negatives chosen from embeddings made without dropout,
/// each mini-batch's mean backpropagated on its own); here <c>loss.cached: true</c> gives the exact whole-batch
/// gradients in a chunk's memory instead, so large "mega" batches fit. Gradients: d/dc_ii = −1/B while m₊ > c_ii,
/// d/dc_ik = 1/B for the hardest k while c_ik > m₋, through the row normalisations.
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/MegaBatchMarginLoss.py
/// </summary>
public sealed class MegaBatchMarginLoss(float positiveMargin = 0.8f, float negativeMargin = 0.3f) : EmbeddingLoss
{
    /// <summary>m₊: positives below this cosine similarity are pulled up.</summary>
    public float PositiveMargin { get; } = positiveMargin;

    /// <summary>m₋: hardest negatives above this cosine similarity are pushed down.</summary>
    public float NegativeMargin { get; } = negativeMargin;

    /// <inheritdoc />
    public override string Name => "mega_batch_margin";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels, IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 2, 2, "MegaBatchMarginLoss");
        int b = columns[0].Rows, d = columns[0].Dim;
        var (a, aNorms) = CosineMath.Normalize(columns[0]);
        var (p, pNorms) = CosineMath.Normalize(columns[1]);
        var da = new double[a.Length];
        var dp = new double[p.Length];
        double loss = 0;
        for (int i = 0; i < b; i++)
        {
            double positive = CosineMath.Dot(a, i, p, i, d);
            int hardest = -1;
            double negative = double.NegativeInfinity;
            for (int j = 0; j < b; j++)
            {
                if (j == i) continue;
                double c = CosineMath.Dot(a, i, p, j, d);
                if (c > negative) (negative, hardest) = (c, j);
            }
            if (PositiveMargin - positive > 0)
            {
                loss += (PositiveMargin - positive) / b;
                AddPair(a, p, da, dp, i, i, -1.0 / b, d);
            }
            if (hardest >= 0 && negative - NegativeMargin > 0)
            {
                loss += (negative - NegativeMargin) / b;
                AddPair(a, p, da, dp, i, hardest, 1.0 / b, d);
            }
        }
        CosineMath.Backward(a, aNorms, da, gradients[0]);
        CosineMath.Backward(p, pNorms, dp, gradients[1]);
        return (float)loss;
    }

    /// <summary>g·d(â_i · p̂_j) into the unit rows' gradients.</summary>
    private static void AddPair(double[] a, double[] p, double[] da, double[] dp, int i, int j, double g, int d)
    {
        for (int x = 0; x < d; x++)
        {
            da[i * d + x] += g * p[j * d + x];
            dp[j * d + x] += g * a[i * d + x];
        }
    }
}
