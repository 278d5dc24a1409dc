using Skald.Retrieval.Data;
using Skald.Training.Modeling;
using Skald.Tokenizers.Serialization;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// sentence-transformers' cross-encoder MSELoss and MarginMSELoss (Hofstätter et al. 2020, distilling a teacher
/// cross-encoder;
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/losses/MSELoss.py
/// and MarginMSELoss.py). <c>ce_mse</c>: (query, document) rows with the teacher's score as label, ℓ = (x − y)² with
/// x the pair's logit after the activation (<c>loss.activation</c>). <c>ce_margin_mse</c>: (query, positive,
/// negative_1 … negative_n) rows with n margins y_j = score(q, p) − score(q, n_j), or the n + 1 scores themselves (their
/// differences are taken, as upstream does), ℓ_j = ((x_p − x_nj) − y_j)². Both are the mean over the terms of the
/// batch, ∂ℓ/∂x = 2·(x − y) / terms; under mpirun each rank reads its shard of the rows and divides by the global count.
/// </summary>
public sealed class CrossEncoderMseLoss : CrossEncoderLoss
{
    private readonly bool margin;
    private readonly bool sigmoid;

    /// <summary>MSE (or, with <paramref name="margin"/>, MarginMSE) over <paramref name="model"/>'s one-label head.</summary>
    public CrossEncoderMseLoss(TrainableEncoder model, bool margin, bool sigmoid = false, ulong seed = 42) : base(model, seed)
    {
        if (Head.NumLabels != 1)
            throw new ArgumentException($"loss.type {(margin ? "ce_margin_mse" : "ce_mse")} distils one score per pair; the model's classifier has {Head.NumLabels} labels");
        this.margin = margin;
        this.sigmoid = sigmoid;
    }

    /// <inheritdoc />
    public override string Name => margin ? "ce_margin_mse" : "ce_mse";

    /// <summary>Whether this is MarginMSE (labels are margins over the negatives), not MSE.</summary>
    public bool Margin => margin;

    /// <inheritdoc />
    public override bool SpansRanks => true;

    /// <inheritdoc />
    public override float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int b = batch.Count, columns = batch.Columns.Count, negatives = columns - 2;
        if (batch.Labels is not { } labels || (margin ? columns < 3 : columns != 2))
            throw new ArgumentException($"loss.type {Name} needs {(margin ? "(query, positive, negative...)" : "(query, document)")} rows with a label", nameof(batch));
        int per = margin ? negatives : 1;
        bool scores = margin && labels.Count == b * (negatives + 1);
        if (labels.Count != b * per && !scores)
            throw new ArgumentException($"loss.type {Name} needs {Counted.Of(per, "label")} per row{(margin ? $" (or {negatives + 1} scores)" : "")}, got {labels.Count} for {b} rows", nameof(batch));
        var target = new double[b * per]; // [B, per]
        for (int r = 0; r < b; r++)
            for (int j = 0; j < per; j++)
                target[r * per + j] = scores ? labels[r * (per + 1)] - labels[r * (per + 1) + 1 + j] : labels[r * per + j];
        // Pairs column by column: pair c·B + r is row r's document of column 1 + c.
        int docs = columns - 1;
        var queries = new string[docs * b];
        var documents = new string[docs * b];
        for (int c = 0; c < docs; c++)
            for (int r = 0; r < b; r++)
            {
                queries[c * b + r] = batch.Columns[0][r];
                documents[c * b + r] = batch.Columns[1 + c][r];
            }
        var encoder = Losses.EmbeddingLoss.AsEncoder(model);
        var comm = encoder.Communicator;
        int total = GlobalCount(comm, b) * per;
        float local = b == 0 ? 0f : Train(encoder, queries, documents, (z, grad) =>
        {
            var x = new double[z.Length];
            for (int i = 0; i < x.Length; i++) x[i] = sigmoid ? 1 / (1 + Math.Exp(-z[i])) : z[i];
            var dx = new double[x.Length];
            double loss = 0;
            for (int r = 0; r < b; r++)
                for (int j = 0; j < per; j++)
                {
                    // MSE: x_r − y_r; MarginMSE: (x_pos − x_neg_j) − y_j, the positive in column 0 of the pairs.
                    double diff = (margin ? x[r] - x[(1 + j) * b + r] : x[r]) - target[r * per + j];
                    loss += diff * diff;
                    dx[r] += 2 * diff;
                    if (margin) dx[(1 + j) * b + r] -= 2 * diff;
                }
            for (int i = 0; i < x.Length; i++)
                grad[i] = (float)(dx[i] * (sigmoid ? x[i] * (1 - x[i]) : 1) * gradientScale / total);
            return (float)(loss / total);
        });
        return SumAcrossRanks(comm, local);
    }
}
