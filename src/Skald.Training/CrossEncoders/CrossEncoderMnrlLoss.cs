using Skald.Tensors;
using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// sentence-transformers' cross-encoder MultipleNegativesRankingLoss
/// (https://github.com/UKPLab/sentence-transformers/blob/dfcbbd93056c6292ee6a245c0740683a270df0b1/sentence_transformers/cross_encoder/losses/MultipleNegativesRankingLoss.py):
/// (anchor, positive[, negative...]) rows without labels. Each anchor is read with its positive, with
/// <c>num_negatives</c> candidates drawn at random (uniformly, without replacement) from the batch's other positives
/// and hard negatives (never its own), and with its own hard negatives, in that order; the logits z go through
/// a = scale·σ(z) and the loss is the mean over anchors of cross-entropy with the positive as the class:
/// L_i = log Σ_j e^(a_ij) − a_i0, so ∂L_i/∂z_ij = (softmax(a_i)_j − [j = 0])·scale·σ(z_ij)·(1 − σ(z_ij)).
/// With <c>num_negatives</c> null (or at least the candidates there are) every other candidate of the batch is used.
/// The draws come from the model's random generator, so a resumed run draws as the uninterrupted one. Under mpirun
/// every rank is given the whole global batch, draws the negatives as one process does, scores the pairs of its own
/// shard of anchors and divides by the global number of anchors, so the loss and the summed gradients are one
/// process's (without dropout: with it the ranks' generators drift apart, as for masked-LM).
/// </summary>
public sealed class CrossEncoderMnrlLoss : CrossEncoderLoss
{
    private readonly int? numNegatives;
    private readonly float scale;
    private readonly SkaldRandom random;

    /// <summary>The loss over <paramref name="model"/>, its head read from the folder or new from <paramref name="seed"/>.</summary>
    public CrossEncoderMnrlLoss(TrainableEncoder model, int? numNegatives = 4, float scale = 10f, ulong seed = 42) : base(model, seed)
    {
        if (numNegatives is < 0) throw new ArgumentOutOfRangeException(nameof(numNegatives), "num_negatives must be 0 or more");
        if (!(scale > 0 && float.IsFinite(scale))) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be a positive number");
        this.numNegatives = numNegatives;
        this.scale = scale;
        random = model.Random;
    }

    /// <inheritdoc />
    public override string Name => "ce_mnrl";

    /// <inheritdoc />
    public override bool SpansRanks => true;

    /// <inheritdoc />
    public override bool TakesGlobalBatch => true;

    /// <summary>
    /// For each of <paramref name="batch"/> anchors, the flattened candidate indices (column·B + row over the
    /// <paramref name="columns"/> candidate columns) of its in-batch negatives: all others, or <c>num_negatives</c> of them at random.
    /// </summary>
    public int[][] InBatchNegatives(int batch, int columns)
    {
        int total = batch * columns, available = total - columns;
        var result = new int[batch][];
        for (int i = 0; i < batch; i++)
        {
            var others = Enumerable.Range(0, total).Where(j => j % batch != i).ToArray(); // not the anchor's own positive or hard negatives
            if (numNegatives is not int k || k >= total) result[i] = others;
            else
            {
                // A partial Fisher-Yates shuffle: the first min(k, available) of a uniform permutation.
                int take = Math.Min(k, available);
                for (int t = 0; t < take; t++)
                {
                    int r = t + random.Next(others.Length - t);
                    (others[t], others[r]) = (others[r], others[t]);
                }
                result[i] = others[..take];
            }
        }
        return result;
    }

    /// <inheritdoc />
    public override float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Columns.Count < 2) throw new ArgumentException("loss.type ce_mnrl needs (anchor, positive[, negative...]) rows", nameof(batch));
        int b = batch.Count, hard = batch.Columns.Count - 2;
        var anchors = batch.Columns[0];
        var candidates = batch.Columns.Skip(1).SelectMany(c => c).ToArray(); // column·B + row
        var negatives = InBatchNegatives(b, batch.Columns.Count - 1); // the whole batch's draws, on every rank
        var encoder = Losses.EmbeddingLoss.AsEncoder(model);
        var comm = encoder.Communicator;
        var shard = Skald.Distributed.Shard.Of(b, comm.Rank, comm.Size); // this rank's anchors (all of them in one process)
        int n = shard.Count, drawn = negatives.Length == 0 ? 0 : negatives[0].Length, width = 1 + drawn + hard;
        // Pairs column by column (pair j·n + i is anchor i's j-th option): the positive, the drawn negatives, the hard ones.
        var queries = new string[width * n];
        var documents = new string[width * n];
        for (int i = 0; i < n; i++)
        {
            int row = shard.Start + i;
            for (int j = 0; j < width; j++)
            {
                queries[j * n + i] = anchors[row];
                documents[j * n + i] = j == 0 ? batch.Columns[1][row]
                    : j <= drawn ? candidates[negatives[row][j - 1]]
                    : batch.Columns[1 + j - drawn][row];
            }
        }
        float local = n == 0 ? 0f : Train(encoder, queries, documents, (z, grad) =>
        {
            double loss = 0;
            var a = new double[width];
            for (int i = 0; i < n; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < width; j++) max = Math.Max(max, a[j] = scale * Sigmoid(z[j * n + i]));
                double sum = 0;
                for (int j = 0; j < width; j++) sum += Math.Exp(a[j] - max);
                loss += max + Math.Log(sum) - a[0];
                for (int j = 0; j < width; j++)
                {
                    double s = Sigmoid(z[j * n + i]), p = Math.Exp(a[j] - max) / sum;
                    grad[j * n + i] = (float)((p - (j == 0 ? 1 : 0)) * scale * s * (1 - s) * gradientScale / b);
                }
            }
            return (float)(loss / b);
        });
        return SumAcrossRanks(comm, local);
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
