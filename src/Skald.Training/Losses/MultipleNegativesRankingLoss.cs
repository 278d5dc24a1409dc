using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' MultipleNegativesRankingLoss (InfoNCE with in-batch negatives). Columns: anchor, positive,
/// then any number of hard-negative columns. scores[i, j] = scale · cos(anchor_i, candidate_j) over the candidates
/// positives ++ negatives (all rows of the batch); loss = mean_i CE(scores_i, i). With <c>symmetric</c> the loss is
/// the mean of that and the positive→anchor direction CE(scores[:, :B]ᵀ_j, j), as MultipleNegativesSymmetricRankingLoss.
/// With <c>dot</c> the scores are scale · anchor · candidate, unnormalised: SparseMultipleNegativesRankingLoss (scale 1),
/// a sparse encoder's. <see cref="WithoutInBatchNegatives"/> scores each anchor against its own row's candidates only
/// (FlagEmbedding's <c>no_in_batch_neg</c>: <c>AbsEmbedderModel._compute_no_in_batch_neg_loss</c>, CE over the
/// (batch, group) local scores with target 0, at
/// https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/abc/finetune/embedder/AbsModeling.py).
/// </summary>
public sealed class MultipleNegativesRankingLoss(float scale = 20f, bool symmetric = false, bool dot = false) : EmbeddingLoss
{
    private MultipleNegativesRankingLoss? ownGroups;

    /// <summary>Whether each anchor is scored against its own row's candidates only (no in-batch negatives).</summary>
    public bool OwnGroups { get; private init; }

    /// <summary>
    /// The same loss scoring each anchor against its own row's positive and negatives only (a batch's
    /// <see cref="TrainingBatch.NoInBatchNegatives"/>); the symmetric loss has no such form (a positive would be scored
    /// against its own anchor alone).
    /// </summary>
    public MultipleNegativesRankingLoss WithoutInBatchNegatives()
    {
        if (Symmetric) throw new InvalidOperationException("MultipleNegativesSymmetricRankingLoss has no form without in-batch negatives");
        return OwnGroups ? this : ownGroups ??= new MultipleNegativesRankingLoss(Scale, Symmetric, Dot) { OwnGroups = true };
    }

    /// <summary><paramref name="loss"/> as it scores <paramref name="batch"/>: without in-batch negatives when the batch says so and the loss is MNRL.</summary>
    internal static IEmbeddingLoss For(IEmbeddingLoss loss, TrainingBatch batch) =>
        batch.NoInBatchNegatives && loss is MultipleNegativesRankingLoss mnrl ? mnrl.WithoutInBatchNegatives() : loss;

    /// <summary>Whether the scores are dot products instead of cosine similarities.</summary>
    public bool Dot { get; } = dot;

    /// <summary>Multiplier of the cosine similarities (inverse temperature).</summary>
    public float Scale { get; } = scale;

    /// <summary>Whether the positive→anchor direction is added (MultipleNegativesSymmetricRankingLoss).</summary>
    public bool Symmetric { get; } = symmetric;

    /// <inheritdoc />
    public override string Name => Symmetric ? "mnsrl" : "mnrl";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 2, null, "MultipleNegativesRankingLoss");
        int b = columns[0].Rows, d = columns[0].Dim, k = columns.Count - 1, m = k * b;
        var (a, aNorm) = Prepare(columns[0]);
        var cand = new double[m * d];
        var cNorm = new double[m];
        for (int i = 0; i < k; i++)
        {
            var (u, n) = Prepare(columns[i + 1]);
            u.CopyTo(cand, i * b * d);
            n.CopyTo(cNorm, i * b);
        }
        var s = new double[b * m];
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < m; j++) s[i * m + j] = Scale * CosineMath.Dot(a, i, cand, j, d);
        }
        var ds = new double[b * m];
        double weight = Symmetric ? 0.5 : 1.0;
        double loss = 0;
        var row = new double[m];
        for (int i = 0; i < b && OwnGroups; i++)
        {
            // Anchor i over its own row's candidates (column c's row i is candidate c·b + i): CE with target 0 (its positive).
            for (int c = 0; c < k; c++) row[c] = s[i * m + c * b + i];
            double lse = CosineMath.LogSumExp(row.AsSpan(0, k));
            loss += (lse - s[i * m + i]) / b;
            for (int c = 0; c < k; c++) ds[i * m + c * b + i] += Math.Exp(row[c] - lse) / b;
            ds[i * m + i] -= 1.0 / b;
        }
        for (int i = 0; i < b && !OwnGroups; i++)
        {
            // Anchor i over all candidates: CE with target i.
            Array.Copy(s, i * m, row, 0, m);
            double lse = CosineMath.LogSumExp(row);
            loss += weight * (lse - s[i * m + i]) / b;
            for (int j = 0; j < m; j++) ds[i * m + j] += weight * Math.Exp(s[i * m + j] - lse) / b;
            ds[i * m + i] -= weight / b;
        }
        if (Symmetric)
        {
            var col = new double[b];
            for (int j = 0; j < b; j++)
            {
                // Positive j over all anchors: CE with target j.
                for (int i = 0; i < b; i++) col[i] = s[i * m + j];
                double lse = CosineMath.LogSumExp(col);
                loss += weight * (lse - s[j * m + j]) / b;
                for (int i = 0; i < b; i++) ds[i * m + j] += weight * Math.Exp(col[i] - lse) / b;
                ds[j * m + j] -= weight / b;
            }
        }
        // d(anchor unit) = scale · dS · C;  d(candidate unit) = scale · dSᵀ · A
        var da = new double[b * d];
        var dc = new double[m * d];
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < m; j++)
            {
                double g = Scale * ds[i * m + j];
                if (g == 0) continue;
                for (int t = 0; t < d; t++)
                {
                    da[i * d + t] += g * cand[j * d + t];
                    dc[j * d + t] += g * a[i * d + t];
                }
            }
        }
        Back(a, aNorm, da, gradients[0]);
        for (int i = 0; i < k; i++)
        {
            Back(cand[(i * b * d)..((i + 1) * b * d)], cNorm[(i * b)..((i + 1) * b)],
                dc[(i * b * d)..((i + 1) * b * d)], gradients[i + 1]);
        }
        return (float)loss;
    }

    /// <summary>The rows the scores multiply: unit rows and their norms (cosine), or the rows as they are (dot).</summary>
    private (double[] Rows, double[] Norms) Prepare(EmbeddingBatch x) =>
        Dot ? (Array.ConvertAll(x.Data, v => (double)v), new double[x.Rows]) : CosineMath.Normalize(x);

    /// <summary>d(rows) → d(embeddings): through the normalisation (cosine), or as it is (dot).</summary>
    private void Back(double[] rows, double[] norms, double[] dRows, EmbeddingBatch dx)
    {
        if (!Dot)
        {
            CosineMath.Backward(rows, norms, dRows, dx);
            return;
        }
        for (int i = 0; i < dRows.Length; i++) dx.Data[i] = (float)dRows[i];
    }
}
