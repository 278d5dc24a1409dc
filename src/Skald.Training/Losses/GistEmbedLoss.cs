using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' GISTEmbedLoss (Solatorio 2024, https://arxiv.org/abs/2402.16829): MNRL whose in-batch
/// negatives are screened by a frozen guide model. Columns: anchor, positive[, negative]. With unit student rows
/// A, P, N and the guide's cosine similarities g, anchor i's threshold is θ_i = g(a_i, p_i) − margin (absolute) or
/// g(a_i, p_i)·(1 − margin) (relative); its candidates are the blocks cos(a_i, p_j), cos(a_i, a_j) (contrast_anchors),
/// cos(p_i, p_j) (contrast_positives) and cos(a_i, n_j), and every candidate whose guide similarity exceeds θ_i is
/// dropped (−∞), except the positive pair itself; loss = mean_i CE(candidates_i / temperature, i). The guide embeds each
/// batch's columns as it arrives (sentence-transformers does the same inside the loss).
/// </summary>
public sealed class GistEmbedLoss(Func<IReadOnlyList<string>, float[][]> guide, float temperature = 0.01f, float margin = 0f,
    bool relativeMargin = false, bool contrastAnchors = true, bool contrastPositives = true) : ILoss
{
    /// <inheritdoc />
    public string Name => "gist";

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        EmbeddingLoss.CheckBatch(batch);
        return EmbeddingLoss.ComputeAndBackward(Guided(batch), model, batch, gradientScale);
    }

    /// <summary>
    /// The loss over the student's embeddings of <paramref name="batch"/>, with the guide's embeddings of its columns
    /// computed now (<see cref="CachedLoss"/> embeds the student in chunks around it: CachedGISTEmbedLoss).
    /// </summary>
    public IEmbeddingLoss Guided(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // The guide reads the texts the student reads, training prompt included (upstream hands the guide the student's
        // tokens, or their decoded text when the tokenizers differ).
        EmbeddingBatch[] guides = [.. batch.Columns.Select((c, i) => EmbeddingBatch.FromRows(guide(
            batch.Prompts?[i] is { Length: > 0 } prompt ? [.. c.Select(t => prompt + t)] : c)))];
        return new GuidedBatch(Name, (columns, gradients) =>
            Compute(columns, guides, gradients, temperature, margin, relativeMargin, contrastAnchors, contrastPositives));
    }

    /// <summary>One batch's GISTEmbedLoss with its guide embeddings fixed.</summary>
    private sealed class GuidedBatch(string name, Func<IReadOnlyList<EmbeddingBatch>, IReadOnlyList<EmbeddingBatch>, float> compute) : IEmbeddingLoss
    {
        public string Name => name;

        public float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels, IReadOnlyList<EmbeddingBatch> gradients) =>
            compute(columns, gradients);
    }

    /// <summary>
    /// The loss of the student's <paramref name="columns"/> (anchor, positive[, negative], each [B, D]) screened by the
    /// guide's embeddings of the same rows (<paramref name="guides"/>, any width); <paramref name="gradients"/> are
    /// overwritten with d(loss)/d(columns).
    /// </summary>
    public static float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<EmbeddingBatch> guides,
        IReadOnlyList<EmbeddingBatch> gradients, float temperature = 0.01f, float margin = 0f, bool relativeMargin = false,
        bool contrastAnchors = true, bool contrastPositives = true)
    {
        EmbeddingLoss.RequireColumns(columns, 2, 3, "GISTEmbedLoss");
        if (guides.Count != columns.Count) throw new ArgumentException($"{guides.Count} guide columns for {columns.Count} columns", nameof(guides));
        int b = columns[0].Rows, d = columns[0].Dim, gd = guides[0].Dim;
        var unit = columns.Select(CosineMath.Normalize).ToArray();
        var guideUnit = guides.Select(g => CosineMath.Normalize(g).Unit).ToArray();
        // Candidate blocks (query column, candidate column, whether the diagonal is the positive pair).
        var blocks = new List<(int Query, int Candidate, bool Positive)> { (0, 1, true) };
        if (contrastAnchors) blocks.Add((0, 0, false));
        if (contrastPositives) blocks.Add((1, 1, false));
        if (columns.Count == 3) blocks.Add((0, 2, false));
        int m = blocks.Count * b;
        var s = new double[b * m];
        for (int i = 0; i < b; i++)
        {
            double guided = CosineMath.Dot(guideUnit[0], i, guideUnit[1], i, gd);
            double threshold = relativeMargin ? guided * (1 - margin) : guided - margin;
            for (int k = 0; k < blocks.Count; k++)
            {
                var (q, c, positive) = blocks[k];
                for (int j = 0; j < b; j++)
                {
                    bool drop = CosineMath.Dot(guideUnit[q], i, guideUnit[c], j, gd) > threshold && !(positive && i == j);
                    s[i * m + k * b + j] = drop ? double.NegativeInfinity : CosineMath.Dot(unit[q].Unit, i, unit[c].Unit, j, d) / temperature;
                }
            }
        }
        // loss = mean_i (logsumexp(s_i) − s_ii); dS = (softmax(s_i) − onehot_i) / B.
        double loss = 0;
        var ds = new double[b * m];
        for (int i = 0; i < b; i++)
        {
            var row = s.AsSpan(i * m, m);
            double lse = CosineMath.LogSumExp(row);
            loss += (lse - row[i]) / b;
            for (int j = 0; j < m; j++) ds[i * m + j] = double.IsNegativeInfinity(row[j]) ? 0 : Math.Exp(row[j] - lse) / b;
            ds[i * m + i] -= 1.0 / b;
        }
        // Each block is cos(query_i, candidate_j) / T: d query_i += dS·candidate_j / T, d candidate_j += dS·query_i / T.
        var dUnit = columns.Select(c => new double[c.Data.Length]).ToArray();
        for (int k = 0; k < blocks.Count; k++)
        {
            var (q, c, _) = blocks[k];
            for (int i = 0; i < b; i++)
            {
                for (int j = 0; j < b; j++)
                {
                    double g = ds[i * m + k * b + j] / temperature;
                    if (g == 0) continue;
                    for (int t = 0; t < d; t++)
                    {
                        dUnit[q][i * d + t] += g * unit[c].Unit[j * d + t];
                        dUnit[c][j * d + t] += g * unit[q].Unit[i * d + t];
                    }
                }
            }
        }
        for (int c = 0; c < columns.Count; c++) CosineMath.Backward(unit[c].Unit, unit[c].Norms, dUnit[c], gradients[c]);
        return (float)loss;
    }
}
