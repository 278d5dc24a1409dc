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
        int b = columns[0].Rows;
        var pairs = new PairCosines(columns[0], columns[1]);
        var dcos = new double[b];
        double loss = 0;
        for (int i = 0; i < b; i++)
        {
            double e = pairs.Values[i] - labels[i];
            loss += e * e / b;
            dcos[i] = 2 * e / b;
        }
        pairs.Backward(dcos, gradients[0], gradients[1]);
        return (float)loss;
    }
}
