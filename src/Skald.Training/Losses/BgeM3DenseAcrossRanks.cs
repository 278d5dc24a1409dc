using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// The dense term's cross-device part of <see cref="BgeM3Loss"/> under mpirun (FlagEmbedding's
/// <c>_compute_cross_device_neg_loss</c>), as an <see cref="IEmbeddingLoss"/> over the whole batch so that
/// <see cref="AcrossRanks"/> gathers every rank's dense embeddings (and teacher scores) and keeps this rank's rows'
/// gradients: every query against every rank's passages, divided by the temperature, scored by
/// <see cref="BgeM3Objective.DenseAcrossRanks"/>. Columns: the queries, then each passage column.
/// </summary>
/// <remarks>
/// Upstream, as read: https://github.com/FlagOpen/FlagEmbedding/blob/0dff36cd1fc1d63dd39bf209e87cfa1ba83dc74d/FlagEmbedding/abc/finetune/embedder/AbsModeling.py
/// (_compute_cross_device_neg_loss, _dist_gather_tensor) and
/// https://github.com/FlagOpen/FlagEmbedding/blob/00d6d15835c9a16e1e36216c632850014d969bf8/FlagEmbedding/finetune/embedder/encoder_only/m3/modeling.py
/// (forward: the dense term cross-device, the others in-batch, the ensemble from the rank's block of the dense scores).
/// </remarks>
internal sealed class BgeM3DenseAcrossRanks(float temperature, bool m3KdLoss) : IEmbeddingLoss
{
    /// <inheritdoc />
    public string Name => "bge_m3";

    /// <inheritdoc />
    public float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels, IReadOnlyList<EmbeddingBatch> gradients)
    {
        int b = columns[0].Rows, k = columns.Count - 1, m = k * b;
        double inverse = 1.0 / temperature;
        var scores = new double[b * m];
        for (int i = 0; i < b; i++)
        {
            var q = columns[0].Row(i);
            for (int j = 0; j < m; j++) scores[i * m + j] = BgeM3Loss.Dot(q, columns[1 + j / b].Row(j % b)) * inverse;
        }
        double[]? teacher = m3KdLoss && labels is not null ? BgeM3Objective.Targets(labels, b) : null;
        var grad = new double[b * m];
        double value = BgeM3Objective.DenseAcrossRanks(b, m, scores, teacher, m3KdLoss, grad);
        foreach (var g in gradients) Array.Clear(g.Data);
        for (int i = 0; i < b; i++)
        {
            var q = columns[0].Row(i);
            var dq = gradients[0].Row(i);
            for (int j = 0; j < m; j++)
            {
                float g = (float)(grad[i * m + j] * inverse);
                if (g == 0f) continue;
                int c = 1 + j / b, row = j % b;
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(columns[c].Row(row), g, dq, dq);
                var dp = gradients[c].Row(row);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(q, g, dp, dp);
            }
        }
        return (float)value;
    }
}
