namespace Skald.Training.Losses;

/// <summary>
/// BGE-M3's unified objective over the three score matrices of a batch (FlagEmbedding's
/// <c>EncoderOnlyEmbedderM3Model.forward</c> with in-batch negatives): dense, sparse and ColBERT scores [B, M], already
/// divided by the temperature, candidates column by column (candidate g·B + i is row i's positive for g = 0, its g-th
/// negative after), row i's target its positive. Pure: scores in, the loss, its terms and d(loss)/d(scores) out.
/// <code>
/// ensemble = dense + 0.3 · sparse + colbert
/// loss     = (L(dense) + L(ensemble) + 0.1 · L(sparse) + L(colbert)) / 4
/// self-distillation: teacher = softmax(ensemble) (no gradient), KL(x) = −mean_i Σ_j teacher_ij · log_softmax(x)_ij,
///          loss = (loss + (KL(dense) + 0.1 · KL(sparse) + KL(colbert)) / 3) / 2
/// </code>
/// L is cross-entropy towards the positive, or with a teacher's scores of each row's group (softmax over the group)
/// kd_loss_type's: <c>kl_div</c> = −mean_i Σ_g t_ig · log_softmax(group scores of row i)_g + the cross-entropy;
/// <c>m3_kd_loss</c> = Σ_g mean_i t_ig · CE(row i with its group's earlier members left out, towards member g).
/// Without in-batch negatives (FlagEmbedding's <c>no_in_batch_neg</c> data sets, <c>_compute_no_in_batch_neg_loss</c>)
/// row i sees only its own group (candidates j with j mod B = i): every softmax above, the self-distillation teacher's
/// too, runs over those G scores, the others get no gradient.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/finetune/embedder/encoder_only/m3/modeling.py (forward, ensemble_score)
/// and https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/abc/finetune/embedder/AbsModeling.py
/// (_compute_in_batch_neg_loss, _compute_no_in_batch_neg_loss, distill_loss). Upstream lays a row's group out
/// contiguously (candidate i·G + g); the loss and its gradients do not depend on the order of the candidates. Without
/// in-batch negatives upstream's code at that commit reduces the ensemble term to one column (it cuts the passages to B
/// rows before get_local_score: a zero term, an index error when B &gt; G) and indexes m3_kd_loss's targets i·G + g into
/// [B, G] scores; Skald computes what those lines mean (the group-local ensemble term; m3_kd_loss of each row on its
/// own group, averaged), as fixtures/training/make_bge_m3_reference.py does.
/// </remarks>
public static class BgeM3Objective
{
    /// <summary>The sparse score's weight in the ensemble score (ensemble_score's 0.3).</summary>
    public const double EnsembleSparseWeight = 0.3;

    /// <summary>The sparse terms' weight in the loss (0.1 · sparse_loss, 0.1 · the sparse self-distillation term).</summary>
    public const double SparseLossWeight = 0.1;

    /// <summary>
    /// The loss over <paramref name="dense"/>, <paramref name="sparse"/> and <paramref name="colbert"/> [B, M] (M = B·G);
    /// the gradients (same shapes) are OVERWRITTEN. <paramref name="teacher"/>: the softmax targets [B, G] of a teacher's
    /// scores, or null; <paramref name="m3KdLoss"/>: kd_loss_type m3_kd_loss instead of kl_div.
    /// <paramref name="terms"/> receives each term's value by name (dense, sparse, colbert, ensemble and, with
    /// self-distillation, dense_distill, sparse_distill, colbert_distill).
    /// </summary>
    /// <paramref name="ownGroup"/>: no in-batch negatives, each row scored against its own group only.
    /// <paramref name="denseAcrossRanks"/>: the dense term's cross-device part is computed over every rank's rows
    /// (<see cref="DenseAcrossRanks"/>) and added by the caller; here it is <see cref="LocalDensePart"/> only, and
    /// terms["dense"] holds that part.
    public static double Compute(int rows, int candidates, double[] dense, double[] sparse, double[] colbert, bool selfDistill,
        double[]? teacher, bool m3KdLoss, double[] dDense, double[] dSparse, double[] dColbert, IDictionary<string, double> terms,
        bool ownGroup = false, bool denseAcrossRanks = false)
    {
        if (rows < 1 || candidates % rows != 0) throw new ArgumentException($"{candidates} candidates for {rows} rows: not whole groups");
        int n = rows * candidates;
        foreach (var a in new[] { dense, sparse, colbert, dDense, dSparse, dColbert })
        {
            if (a.Length != n) throw new ArgumentException($"a score matrix of {a.Length} values, not [{rows}, {candidates}]");
        }
        var ensemble = new double[n];
        for (int i = 0; i < n; i++) ensemble[i] = dense[i] + EnsembleSparseWeight * sparse[i] + colbert[i];
        var gEnsemble = new double[n];
        Array.Clear(dDense);
        Array.Clear(dSparse);
        Array.Clear(dColbert);
        double ld = denseAcrossRanks ? LocalDensePart(rows, candidates, dense, teacher, m3KdLoss, dDense)
            : Term(rows, candidates, dense, teacher, m3KdLoss, dDense, 1.0, ownGroup);
        double ls = Term(rows, candidates, sparse, teacher, m3KdLoss, dSparse, SparseLossWeight, ownGroup);
        double lc = Term(rows, candidates, colbert, teacher, m3KdLoss, dColbert, 1.0, ownGroup);
        double le = Term(rows, candidates, ensemble, teacher, m3KdLoss, gEnsemble, 1.0, ownGroup);
        terms["dense"] = ld;
        terms["sparse"] = ls;
        terms["colbert"] = lc;
        terms["ensemble"] = le;
        double loss = (ld + le + SparseLossWeight * ls + lc) / 4;
        double scale = 0.25;
        if (selfDistill)
        {
            var target = new double[n];
            for (int i = 0; i < rows; i++)
            {
                double lse = LogSumExp(ensemble.AsSpan(i * candidates, candidates), i, rows, ownGroup);
                for (int j = 0; j < candidates; j++)
                    target[i * candidates + j] = Seen(j, i, rows, ownGroup) ? Math.Exp(ensemble[i * candidates + j] - lse) : 0;
            }
            // the distillation terms' gradients carry their weight / 3 (the / 2 of the whole is applied below)
            var gd = new double[n];
            var gs = new double[n];
            var gc = new double[n];
            double kd = Distill(rows, candidates, dense, target, gd, ownGroup), ks = Distill(rows, candidates, sparse, target, gs, ownGroup),
                kc = Distill(rows, candidates, colbert, target, gc, ownGroup);
            terms["dense_distill"] = kd;
            terms["sparse_distill"] = ks;
            terms["colbert_distill"] = kc;
            loss = (loss + (kd + SparseLossWeight * ks + kc) / 3) / 2;
            scale = 0.125;
            for (int i = 0; i < n; i++)
            {
                dDense[i] = dDense[i] * scale + gd[i] / 6;
                dSparse[i] = dSparse[i] * scale + SparseLossWeight * gs[i] / 6;
                dColbert[i] = dColbert[i] * scale + gc[i] / 6;
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                dDense[i] *= scale;
                dSparse[i] *= scale;
                dColbert[i] *= scale;
            }
        }
        for (int i = 0; i < n; i++) // the ensemble's gradient reaches each score through its weight in the sum
        {
            double g = gEnsemble[i] * scale;
            dDense[i] += g;
            dSparse[i] += EnsembleSparseWeight * g;
            dColbert[i] += g;
        }
        return loss;
    }

    // One score matrix's term (cross-entropy, or with a teacher kd_loss_type's), its gradient times weight ADDED into grad.
    private static double Term(int rows, int candidates, double[] s, double[]? teacher, bool m3KdLoss, double[] grad, double weight, bool own)
    {
        int groups = candidates / rows;
        var p = new double[candidates];
        double loss = 0;
        if (teacher is not null && m3KdLoss)
        {
            // Σ_g mean_i t_ig · CE(row i without its group's members before g, towards member g)
            for (int g = 0; g < groups; g++)
            {
                for (int i = 0; i < rows; i++)
                {
                    var row = s.AsSpan(i * candidates, candidates);
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < candidates; j++)
                    {
                        if (!Masked(j, i, g, rows) && Seen(j, i, rows, own)) max = Math.Max(max, row[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < candidates; j++) sum += p[j] = Masked(j, i, g, rows) || !Seen(j, i, rows, own) ? 0 : Math.Exp(row[j] - max);
                    int target = g * rows + i;
                    double t = teacher[i * groups + g] / rows;
                    loss += t * (max + Math.Log(sum) - row[target]);
                    for (int j = 0; j < candidates; j++) grad[i * candidates + j] += weight * t * (p[j] / sum - (j == target ? 1 : 0));
                }
            }
            return loss;
        }
        for (int i = 0; i < rows; i++)
        {
            var row = s.AsSpan(i * candidates, candidates);
            double lse = LogSumExp(row, i, rows, own);
            loss += (lse - row[i]) / rows;
            for (int j = 0; j < candidates; j++)
            {
                if (Seen(j, i, rows, own)) grad[i * candidates + j] += weight * (Math.Exp(row[j] - lse) - (j == i ? 1 : 0)) / rows;
            }
        }
        if (teacher is null) return loss;
        // kl_div: the teacher against the row's own group, plus the cross-entropy above
        return loss + GroupKl(rows, candidates, s, teacher, grad, weight);
    }

    // kl_div's distillation part: −mean_i Σ_g t_ig · log_softmax(row i's own group scores)_g, its gradient times weight
    // ADDED into grad.
    private static double GroupKl(int rows, int candidates, double[] s, double[] teacher, double[] grad, double weight)
    {
        int groups = candidates / rows;
        var local = new double[groups];
        var p = new double[groups];
        double loss = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int g = 0; g < groups; g++) local[g] = s[i * candidates + g * rows + i];
            double lse = LogSoftmax(local, p);
            for (int g = 0; g < groups; g++)
            {
                double t = teacher[i * groups + g];
                loss -= t * (local[g] - lse) / rows;
                grad[i * candidates + g * rows + i] += weight * (Math.Exp(local[g] - lse) - t) / rows;
            }
        }
        return loss;
    }

    /// <summary>
    /// Under negatives_cross_device, the part of a rank's dense term that stays on the rank (<paramref name="dense"/>
    /// its rows against its passages, [B, M]): with a kl_div teacher the distillation of its rows' group scores
    /// (upstream slices the cross-device scores to the rank's rows for it), else nothing. Its gradient is ADDED into
    /// <paramref name="grad"/>.
    /// </summary>
    public static double LocalDensePart(int rows, int candidates, double[] dense, double[]? teacher, bool m3KdLoss, double[] grad) =>
        teacher is not null && !m3KdLoss ? GroupKl(rows, candidates, dense, teacher, grad, 1.0) : 0;

    /// <summary>
    /// Under negatives_cross_device, the part of the dense term over every rank's rows (<paramref name="scores"/>:
    /// every query against every passage, [B, M] of the whole batch, already divided by the temperature):
    /// cross-entropy towards each row's positive, or with an m3_kd_loss teacher (<paramref name="teacher"/>, every
    /// row's targets) its distillation. <paramref name="grad"/> is OVERWRITTEN with d(part)/d(scores).
    /// </summary>
    public static double DenseAcrossRanks(int rows, int candidates, double[] scores, double[]? teacher, bool m3KdLoss, double[] grad)
    {
        ArgumentNullException.ThrowIfNull(grad);
        Array.Clear(grad);
        return Term(rows, candidates, scores, m3KdLoss ? teacher : null, m3KdLoss && teacher is not null, grad, 1.0, false);
    }

    // Candidate j is a member of row i's group before member g (m3_kd_loss leaves it out).
    private static bool Masked(int j, int i, int g, int rows) => j % rows == i && j / rows < g;

    // Row i sees candidate j: always with in-batch negatives, else only the members of its own group.
    private static bool Seen(int j, int i, int rows, bool own) => !own || j % rows == i;

    // log Σ exp over the candidates row i sees.
    private static double LogSumExp(ReadOnlySpan<double> row, int i, int rows, bool own)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < row.Length; j++)
        {
            if (Seen(j, i, rows, own)) max = Math.Max(max, row[j]);
        }
        double sum = 0;
        for (int j = 0; j < row.Length; j++)
        {
            if (Seen(j, i, rows, own)) sum += Math.Exp(row[j] - max);
        }
        return max + Math.Log(sum);
    }

    // −mean_i Σ_j target_ij · log_softmax(s_i)_j and its gradient (softmax − target) / rows, OVERWRITTEN into grad
    // (over the candidates each row sees; the others get 0).
    private static double Distill(int rows, int candidates, double[] s, double[] target, double[] grad, bool own)
    {
        double loss = 0;
        for (int i = 0; i < rows; i++)
        {
            var row = s.AsSpan(i * candidates, candidates);
            double lse = LogSumExp(row, i, rows, own);
            for (int j = 0; j < candidates; j++)
            {
                if (!Seen(j, i, rows, own))
                {
                    grad[i * candidates + j] = 0;
                    continue;
                }
                double t = target[i * candidates + j];
                loss -= t * (row[j] - lse) / rows;
                grad[i * candidates + j] = (Math.Exp(row[j] - lse) - t) / rows;
            }
        }
        return loss;
    }

    /// <summary>The softmax of each row of a teacher's scores [rows, groups] (FlagEmbedding's teacher_targets).</summary>
    public static double[] Targets(IReadOnlyList<float> scores, int rows)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int groups = scores.Count / rows;
        var values = new double[scores.Count];
        for (int i = 0; i < values.Length; i++) values[i] = scores[i];
        var targets = new double[values.Length];
        for (int i = 0; i < rows; i++) Softmax(values.AsSpan(i * groups, groups), targets.AsSpan(i * groups, groups));
        return targets;
    }

    // log Σ exp(row); scratch for the exponentials.
    private static double LogSoftmax(ReadOnlySpan<double> row, Span<double> scratch)
    {
        double max = double.NegativeInfinity;
        foreach (double x in row) max = Math.Max(max, x);
        double sum = 0;
        for (int j = 0; j < row.Length; j++) sum += scratch[j] = Math.Exp(row[j] - max);
        return max + Math.Log(sum);
    }

    private static void Softmax(ReadOnlySpan<double> row, Span<double> into)
    {
        double max = double.NegativeInfinity;
        foreach (double x in row) max = Math.Max(max, x);
        double sum = 0;
        for (int j = 0; j < row.Length; j++) sum += into[j] = Math.Exp(row[j] - max);
        for (int j = 0; j < row.Length; j++) into[j] /= sum;
    }
}
