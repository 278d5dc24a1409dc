using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' CosineSimilarityLoss: pairs (sentence1, sentence2) with a float label (a similarity score,
/// usually in [0, 1]); loss = mean_i (cos(u_i, v_i) − label_i)², d/dcos_i = 2(cos_i − label_i)/B
/// (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/CosineSimilarityLoss.py).
/// </summary>
public sealed class CosineSimilarityLoss : EmbeddingLoss
{
    /// <inheritdoc />
    public override string Name => "cosine_similarity";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 2, 2, "CosineSimilarityLoss");
        if (labels is null || labels.Count != columns[0].Rows) throw new ArgumentException("CosineSimilarityLoss needs one float label per pair");
        int b = columns[0].Rows, d = columns[0].Dim;
        var (u, un) = CosineMath.Normalize(columns[0]);
        var (v, vn) = CosineMath.Normalize(columns[1]);
        var du = new double[b * d];
        var dv = new double[b * d];
        double loss = 0;
        for (int i = 0; i < b; i++)
        {
            double e = CosineMath.Dot(u, i, v, i, d) - labels[i];
            loss += e * e / b;
            double g = 2 * e / b;
            for (int t = 0; t < d; t++)
            {
                du[i * d + t] = g * v[i * d + t];
                dv[i * d + t] = g * u[i * d + t];
            }
        }
        CosineMath.Backward(u, un, du, gradients[0]);
        CosineMath.Backward(v, vn, dv, gradients[1]);
        return (float)loss;
    }
}
