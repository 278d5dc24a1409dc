using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' MSELoss for knowledge distillation (Reimers &amp; Gurevych 2020, "Making Monolingual Sentence
/// Embeddings Multilingual", https://arxiv.org/abs/2004.09813): the student's embedding of every column is pulled to the
/// teacher's embedding of column 0. With parallel rows (source, translation) the student learns to place both where the
/// teacher places the source. The teacher (<c>loss.teacher</c>, a frozen model of the same width) embeds column 0 as
/// the batch arrives; sentence-transformers reads the same vectors from a precomputed label column. With C columns of
/// B rows of width D: loss = (1/(C·B·D)) Σ_c Σ_i ‖s_{c,i} − t_i‖² (the mean over the concatenated columns, as
/// nn.MSELoss over <c>torch.cat</c> and <c>labels.repeat</c>); d/ds_{c,i} = 2 (s_{c,i} − t_i) / (C·B·D).
/// </summary>
public sealed class MseLoss(Func<IReadOnlyList<string>, float[][]> teacher) : ILoss
{
    /// <inheritdoc />
    public string Name => "mse";

    /// <summary>
    /// The loss of <paramref name="columns"/> (each [B, D]) against the teacher's <paramref name="target"/> [B, D];
    /// <paramref name="gradients"/> (shaped as the columns) are overwritten with d(loss)/d(columns).
    /// </summary>
    public static float Compute(IReadOnlyList<EmbeddingBatch> columns, EmbeddingBatch target, IReadOnlyList<EmbeddingBatch> gradients)
    {
        if (columns.Count == 0) throw new ArgumentException("MSELoss needs at least one input column", nameof(columns));
        int b = target.Rows, d = target.Dim;
        double n = (double)columns.Count * b * d, loss = 0;
        for (int c = 0; c < columns.Count; c++)
        {
            if (columns[c].Rows != b || columns[c].Dim != d)
                throw new ArgumentException($"column {c} is [{columns[c].Rows}, {columns[c].Dim}], the teacher's embeddings [{b}, {d}]");
            var s = columns[c].Data;
            var g = gradients[c].Data;
            for (int i = 0; i < b * d; i++)
            {
                double e = (double)s[i] - target.Data[i];
                loss += e * e / n;
                g[i] = (float)(2 * e / n);
            }
        }
        return (float)loss;
    }

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        EmbeddingLoss.CheckBatch(batch);
        var target = EmbeddingBatch.FromRows(teacher(batch.Columns[0]));
        using var pass = encoder.BeginPass(record: true);
        var columns = batch.Columns.Select((_, i) => pass.Forward(encoder.Prepare(batch, i))).ToArray();
        var grads = columns.Select(c => new EmbeddingBatch(c.Rows, c.Dim)).ToArray();
        float value = Compute(columns, target, grads);
        pass.Backward(grads, gradientScale);
        return value;
    }
}
