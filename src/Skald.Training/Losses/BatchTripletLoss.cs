using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' batch triplet losses (BatchHardTripletLoss, BatchHardSoftMarginTripletLoss,
/// BatchAllTripletLoss, with their default Euclidean distance): one text column with an integer class label per row;
/// the triplets are mined inside the batch from the labels
/// (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/BatchHardTripletLoss.py,
/// BatchHardSoftMarginTripletLoss.py, BatchAllTripletLoss.py). With d the pairwise distances ‖e_a − e_b‖:
/// <code>
/// hard:  d_p(a) = max_j pos(a, j)·d(a, j)          (pos: same label, j ≠ a; 0 when the anchor has no positive)
///        d_n(a) = min_k d(a, k) + max_j d(a, j)·(1 − neg(a, k))     (neg: another label; as sentence-transformers writes it)
///        loss = mean_a relu(d_p − d_n + margin)      soft margin: mean_a log(1 + exp(d_p − d_n))
/// all:   loss = Σ_{valid (a, p, n)} relu(d(a, p) − d(a, n) + margin) / (#{those above 1e-16} + 1e-16)
/// semi-hard: n(a, p) = argmin {d(a, n) : neg(a, n), d(a, n) &gt; d(a, p)}, else argmax {d(a, n) : neg(a, n)};
///        loss = Σ_{pos (a, p)} relu(d(a, p) − d(a, n(a, p)) + margin) / #pos   (BatchSemiHardTripletLoss.py,
///        TensorFlow Addons' semi-hard mining; an anchor with no negative compares with 0; a batch with no positive
///        pair is 0 here, where sentence-transformers divides by zero)
/// </code>
/// Gradients go to the distances the selections picked (d_n also to the row maximum where the chosen k is no
/// negative), then dd(a, b)/de_a = (e_a − e_b)/d(a, b), 0 at d = 0 (the masked square root).
/// </summary>
public sealed class BatchTripletLoss(BatchTripletMode mode, float margin = 5f) : EmbeddingLoss
{
    /// <summary>The variant.</summary>
    public BatchTripletMode Mode { get; } = mode;

    /// <summary>The triplet margin (unused by the soft-margin variant).</summary>
    public float Margin { get; } = margin;

    /// <inheritdoc />
    public override string Name => Mode switch
    {
        BatchTripletMode.Hard => "batch_hard_triplet",
        BatchTripletMode.HardSoftMargin => "batch_hard_soft_margin_triplet",
        BatchTripletMode.SemiHard => "batch_semi_hard_triplet",
        _ => "batch_all_triplet",
    };

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 1, 1, Name);
        var e = columns[0];
        int b = e.Rows, dim = e.Dim;
        if (labels is null || labels.Count != b) throw new ArgumentException($"{Name} needs one class label per row");
        var d = new double[b * b];
        for (int i = 0; i < b; i++)
        {
            var x = e.Row(i);
            for (int j = i + 1; j < b; j++)
            {
                var y = e.Row(j);
                double s = 0;
                for (int t = 0; t < dim; t++) s += ((double)x[t] - y[t]) * ((double)x[t] - y[t]);
                d[i * b + j] = d[j * b + i] = Math.Sqrt(s);
            }
        }
        var dd = new double[b * b]; // d(loss)/d(distance)
        double loss = Mode switch
        {
            BatchTripletMode.All => All(d, labels, b, dd),
            BatchTripletMode.SemiHard => SemiHard(d, labels, b, dd),
            _ => Hardest(d, labels, b, dd),
        };
        var g = gradients[0];
        Array.Clear(g.Data);
        for (int i = 0; i < b; i++)
        {
            var x = e.Row(i);
            var gi = g.Row(i);
            for (int j = 0; j < b; j++)
            {
                double w = dd[i * b + j] + dd[j * b + i]; // d(i, j) and d(j, i) are one distance
                if (i == j || w == 0 || d[i * b + j] == 0) continue;
                var y = e.Row(j);
                double scale = w / d[i * b + j];
                for (int t = 0; t < dim; t++) gi[t] += (float)(scale * ((double)x[t] - y[t]));
            }
        }
        return (float)loss;
    }

    /// <summary>The hard variants: per anchor the selected distances; fills their gradients.</summary>
    private double Hardest(double[] d, IReadOnlyList<float> labels, int b, double[] dd)
    {
        double loss = 0;
        for (int a = 0; a < b; a++)
        {
            int p = 0, top = 0, n = 0;
            double hp = double.NegativeInfinity, max = double.NegativeInfinity;
            for (int j = 0; j < b; j++)
            {
                double v = j != a && labels[j] == labels[a] ? d[a * b + j] : 0;
                if (v > hp) (hp, p) = (v, j);
                if (d[a * b + j] > max) (max, top) = (d[a * b + j], j);
            }
            double hn = double.PositiveInfinity;
            for (int k = 0; k < b; k++)
            {
                double v = d[a * b + k] + (labels[k] != labels[a] ? 0 : max);
                if (v < hn) (hn, n) = (v, k);
            }
            double gap = hp - hn;
            double g;
            if (Mode == BatchTripletMode.HardSoftMargin)
            {
                loss += (gap > 0 ? gap + double.LogP1(Math.Exp(-gap)) : double.LogP1(Math.Exp(gap))) / b;
                g = 1.0 / (1.0 + Math.Exp(-gap)) / b;
            }
            else
            {
                double tl = gap + Margin;
                if (!(tl > 0)) continue;
                loss += tl / b;
                g = 1.0 / b;
            }
            if (p != a && labels[p] == labels[a]) dd[a * b + p] += g;
            dd[a * b + n] -= g;
            if (labels[n] == labels[a]) dd[a * b + top] -= g; // the row maximum added to an invalid negative
        }
        return loss;
    }

    /// <summary>BatchSemiHardTripletLoss over the positive pairs; fills the distances' gradients.</summary>
    private double SemiHard(double[] d, IReadOnlyList<float> labels, int b, double[] dd)
    {
        int positives = 0;
        for (int a = 0; a < b; a++)
            for (int p = 0; p < b; p++) positives += p != a && labels[p] == labels[a] ? 1 : 0;
        if (positives == 0) return 0;
        double loss = 0;
        for (int a = 0; a < b; a++)
        {
            int far = -1; // the farthest negative (the fallback)
            for (int k = 0; k < b; k++)
                if (labels[k] != labels[a] && (far < 0 || d[a * b + k] > d[a * b + far])) far = k;
            for (int p = 0; p < b; p++)
            {
                if (p == a || labels[p] != labels[a]) continue;
                int n = -1;
                for (int k = 0; k < b; k++)
                    if (labels[k] != labels[a] && d[a * b + k] > d[a * b + p] && (n < 0 || d[a * b + k] < d[a * b + n])) n = k;
                if (n < 0) n = far;
                double negative = n < 0 ? 0 : d[a * b + n];
                double t = d[a * b + p] - negative + Margin;
                if (!(t > 0)) continue;
                loss += t / positives;
                dd[a * b + p] += 1.0 / positives;
                if (n >= 0) dd[a * b + n] -= 1.0 / positives;
            }
        }
        return loss;
    }

    /// <summary>BatchAllTripletLoss over every valid triplet; fills the distances' gradients.</summary>
    private double All(double[] d, IReadOnlyList<float> labels, int b, double[] dd)
    {
        double sum = 0;
        long count = 0;
        for (int pass = 0; pass < 2; pass++) // the sum and count first, then the gradients (which divide by the count)
        {
            double weight = 1.0 / (count + 1e-16);
            for (int a = 0; a < b; a++)
            {
                for (int p = 0; p < b; p++)
                {
                    if (p == a || labels[p] != labels[a]) continue;
                    for (int n = 0; n < b; n++)
                    {
                        if (n == a || n == p || labels[n] == labels[a]) continue;
                        double t = d[a * b + p] - d[a * b + n] + Margin;
                        if (!(t > 0)) continue;
                        if (pass == 0)
                        {
                            sum += t;
                            if (t > 1e-16) count++;
                        }
                        else
                        {
                            dd[a * b + p] += weight;
                            dd[a * b + n] -= weight;
                        }
                    }
                }
            }
        }
        return sum / (count + 1e-16);
    }
}
