using Skald.Tensors.Kernels;

namespace Skald.Training.Losses;

/// <summary>
/// PyLate's <c>losses.Contrastive</c> for a ColBERT (<c>loss.type: colbert_contrastive</c>): columns query, positive,
/// negative_1 … negative_(N−1) (N ≥ 1 document columns); every query is scored by MaxSim against every document of the
/// batch, in-batch and its own hard negatives, s[i, j·N + k] = MaxSim(q_i, document column k of row j), and the loss
/// is the cross-entropy of s_i / T with target column i·N (its positive), averaged over the rows (size_average, the
/// default) or summed: d/ds[i, c] = (softmax(s_i / T)[c] − [c = i·N]) / (T · B) (or without B), each score's gradient
/// then going to the query row and document row of every query token's maximum (<see cref="MaxSim.Backward"/>).
/// Defaults as PyLate's: T = 1, size_average true. Under mpirun the documents of every rank are in-batch negatives
/// (PyLate's gather_across_devices) and the mean is over the global batch, so the summed gradients are one process's.
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/losses/contrastive.py
/// and pylate/scores/colbert.py (ColBERTScores: query-major columns) at the same commit.
/// </summary>
public sealed class ColbertContrastiveLoss(float temperature = 1f, bool sizeAverage = true) : ColbertLoss
{
    /// <summary>T: the scores are divided by it before the softmax.</summary>
    public float Temperature { get; } = temperature > 0 ? temperature : throw new ArgumentOutOfRangeException(nameof(temperature), "temperature must be above 0");

    /// <summary>The mean over the batch's rows (true) or their sum.</summary>
    public bool SizeAverage { get; } = sizeAverage;

    /// <inheritdoc />
    public override string Name => "colbert_contrastive";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<float[]> queries, IReadOnlyList<IReadOnlyList<float[]>> documents, int dim,
        IReadOnlyList<float>? labels, IReadOnlyList<float[]> queryGradients, IReadOnlyList<IReadOnlyList<float[]>> documentGradients)
    {
        int b = queries.Count, n = documents.Count, width = b * n;
        if (n == 0) throw new ArgumentException("colbert_contrastive needs at least one document column (the positive)");
        double t = Temperature, divide = SizeAverage ? b : 1, loss = 0;
        var logits = new double[width];
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < b; j++)
            {
                for (int k = 0; k < n; k++) logits[j * n + k] = MaxSim.Score(queries[i], documents[k][j], dim) / t;
            }
            double lse = CosineMath.LogSumExp(logits);
            loss += (lse - logits[i * n]) / divide;
            for (int j = 0; j < b; j++)
            {
                for (int k = 0; k < n; k++)
                {
                    int c = j * n + k;
                    double g = (Math.Exp(logits[c] - lse) - (c == i * n ? 1 : 0)) / (t * divide);
                    MaxSim.Backward(queries[i], documents[k][j], dim, 1f, (float)g, queryGradients[i], documentGradients[k][j]);
                }
            }
        }
        return (float)loss;
    }
}
