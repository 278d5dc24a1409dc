using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// sentence-transformers' cross-encoder CrossEntropyLoss
/// (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/losses/CrossEntropyLoss.py):
/// (sentence1, sentence2) rows with a class label 0 … L−1 (e.g. NLI's entailment / neutral / contradiction), a head
/// with L outputs, and torch's cross-entropy of the logits z [B, L] against the labels, the mean over the batch:
/// ℓ_i = log Σ_c e^(z_ic) − z_i,y_i, so ∂ℓ_i/∂z_ic = softmax(z_i)_c − [c = y_i]. The saved model has the Identity
/// activation (its scores are logits), as sentence-transformers saves a model of more than one label. Under mpirun
/// each rank reads its shard of the pairs and divides by the global count, as <see cref="BinaryCrossEntropyLoss"/>.
/// </summary>
public sealed class CrossEncoderCrossEntropyLoss : CrossEncoderLoss
{
    /// <summary>
    /// The loss over <paramref name="model"/> with <paramref name="numLabels"/> classes (null: as many as the folder's
    /// classifier has), its head read from the folder or new from <paramref name="seed"/>.
    /// </summary>
    public CrossEncoderCrossEntropyLoss(TrainableEncoder model, int? numLabels, ulong seed = 42) : base(model, seed, numLabels)
    {
    }

    /// <inheritdoc />
    public override string Name => "cross_entropy";

    /// <inheritdoc />
    public override bool SpansRanks => true;

    /// <inheritdoc />
    public override float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Columns.Count != 2 || batch.Labels is not { } labels)
            throw new ArgumentException("loss.type cross_entropy needs (sentence1, sentence2) rows with a class label", nameof(batch));
        int n = batch.Count, classes = Head.NumLabels;
        var target = new int[n];
        for (int i = 0; i < n; i++)
        {
            float y = labels[i];
            if (!(y >= 0 && y < classes && y == MathF.Floor(y)))
                throw new Config.TrainingException($"loss.type cross_entropy: label {y} is not a class of this {classes}-label classifier (0 … {classes - 1})");
            target[i] = (int)y;
        }
        var encoder = Losses.EmbeddingLoss.AsEncoder(model);
        var comm = encoder.Communicator;
        int total = GlobalCount(comm, n);
        float local = Train(encoder, batch.Columns[0], batch.Columns[1], (z, grad) =>
        {
            double loss = 0;
            for (int i = 0; i < n; i++)
            {
                var row = z.Slice(i * classes, classes);
                double max = double.NegativeInfinity, sum = 0;
                foreach (float v in row) max = Math.Max(max, v);
                foreach (float v in row) sum += Math.Exp(v - max);
                loss += max + Math.Log(sum) - row[target[i]];
                for (int c = 0; c < classes; c++)
                    grad[i * classes + c] = (float)((Math.Exp(row[c] - max) / sum - (c == target[i] ? 1 : 0)) * gradientScale / total);
            }
            return (float)(loss / total);
        });
        return SumAcrossRanks(comm, local);
    }
}
