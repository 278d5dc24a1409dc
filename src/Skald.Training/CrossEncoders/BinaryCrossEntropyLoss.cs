using Skald.Retrieval.Data;
using Skald.Training.Modeling;
using Skald.Tokenizers.Serialization;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// sentence-transformers' cross-encoder BinaryCrossEntropyLoss
/// (https://github.com/UKPLab/sentence-transformers/blob/dfcbbd93056c6292ee6a245c0740683a270df0b1/sentence_transformers/cross_encoder/losses/BinaryCrossEntropyLoss.py):
/// (query, document) rows with a label in [0, 1], and the mean over the batch of BCE with logits,
/// ℓ = −[w·y·log σ(z) + (1 − y)·log(1 − σ(z))] with w = pos_weight (1 unless set), whose gradient is
/// ∂ℓ/∂z = (w·y + 1 − y)·σ(z) − w·y. With L &gt; 1 labels (<c>num_labels</c>) it is multi-label classification, as
/// transformers' <c>problem_type: multi_label_classification</c> trains it: each row carries L labels in [0, 1] (a
/// JSONL list, several may be 1), the head L logits, and the loss is the mean of ℓ over the B·L (row, label) pairs.
/// </summary>
public sealed class BinaryCrossEntropyLoss : CrossEncoderLoss
{
    private readonly float posWeight;

    /// <summary>
    /// The loss over <paramref name="model"/>, its head of <paramref name="numLabels"/> outputs read from the folder or
    /// new from <paramref name="seed"/>.
    /// </summary>
    public BinaryCrossEntropyLoss(TrainableEncoder model, float posWeight = 1f, ulong seed = 42, int numLabels = 1) : base(model, seed, numLabels)
    {
        if (!(posWeight > 0 && float.IsFinite(posWeight))) throw new ArgumentOutOfRangeException(nameof(posWeight), "pos_weight must be a positive number");
        this.posWeight = posWeight;
    }

    /// <inheritdoc />
    public override string Name => "bce";

    /// <summary>Sigmoid whatever the number of labels: each label is a yes/no of its own.</summary>
    public override Skald.Models.CrossEncoders.ScoreActivation Activation => Skald.Models.CrossEncoders.ScoreActivation.Sigmoid;

    /// <summary>
    /// Under mpirun each rank reads its shard of the batch; every term is one pair's, so dividing by the global number of
    /// pairs makes the summed gradients and the loss one process's.
    /// </summary>
    public override bool SpansRanks => true;

    /// <inheritdoc />
    public override float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Columns.Count != 2 || batch.Labels is not { } labels)
            throw new ArgumentException("loss.type bce needs (query, document) rows with a label", nameof(batch));
        var encoder = Losses.EmbeddingLoss.AsEncoder(model);
        var comm = encoder.Communicator;
        int width = Head.NumLabels, n = batch.Count * width, total = GlobalCount(comm, batch.Count) * width;
        if (labels.Count != n)
            throw new ArgumentException($"loss.type bce with {Counted.Of(width, "label")} needs {Counted.Of(width, "label")} per row, got {labels.Count} for {batch.Count} rows", nameof(batch));
        float local = Train(encoder, batch.Columns[0], batch.Columns[1], (z, grad) =>
        {
            double loss = 0;
            for (int i = 0; i < n; i++) // (row, label) pairs, row-major as the logits
            {
                double x = z[i], y = labels[i];
                // −[w·y·log σ(x) + (1 − y)·log(1 − σ(x))] = w·y·softplus(−x) + (1 − y)·softplus(x)
                loss += posWeight * y * Softplus(-x) + (1 - y) * Softplus(x);
                double sigma = 1 / (1 + Math.Exp(-x));
                grad[i] = (float)(((posWeight * y + 1 - y) * sigma - posWeight * y) * gradientScale / total);
            }
            return (float)(loss / total);
        });
        return SumAcrossRanks(comm, local);
    }

    private static double Softplus(double x) => x > 0 ? x + double.LogP1(Math.Exp(-x)) : double.LogP1(Math.Exp(x));
}
