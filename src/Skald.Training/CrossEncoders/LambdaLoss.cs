using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// sentence-transformers' cross-encoder LambdaLoss and RankNetLoss (Wang et al. 2018, "The LambdaLoss Framework for
/// Ranking Metric Optimization"; Burges et al. 2005;
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/losses/LambdaLoss.py).
/// Each list's documents are put in the order of their scores (highest first, position i from 0, discount
/// D_i = log2(2 + i)); t_i is the label of the document at position i, G_i = (2^max(t_i, 0) − 1) / maxDCG its gain, with
/// maxDCG = Σ_(i &lt; k) (2^max(ŷ_i, 0) − 1) / D_i over the labels sorted (at least ε = 1e−10). Every pair of positions
/// (i, j) both below k (all without <c>k</c>) whose labels differ, t_i &gt; t_j (any pair, the diagonal too, for
/// NDCGLoss1), adds −log_b(max(max(σ(σ_s·(x_i − x_j)), ε)^(w_ij), ε)) with b = 2 (<c>reduction_log: binary</c>) or e, the
/// weights w_ij of the <see cref="LambdaWeighting"/> treated as constants; the loss is the mean over all such pairs of
/// the batch. Its gradient: ∂/∂x_i = −w_ij·σ_s·(1 − σ(σ_s·(x_i − x_j))) / ln b = −∂/∂x_j, zero where a clamp holds.
/// RankNet is the scheme <c>none</c>. A batch with no such pair (every label equal) gives 0 (upstream: NaN).
/// </summary>
public sealed class LambdaLoss : ListwiseLoss
{
    private const double Eps = 1e-10;
    private readonly LambdaWeighting scheme;
    private readonly int? k;
    private readonly double sigma, mu;
    private readonly bool natural;

    /// <summary>
    /// LambdaLoss over <paramref name="model"/> with <paramref name="scheme"/>, the first <paramref name="k"/> positions
    /// (null: all), σ_s = <paramref name="sigma"/>, NDCGLoss2++'s <paramref name="mu"/>, natural or binary logarithms.
    /// </summary>
    public LambdaLoss(TrainableEncoder model, LambdaWeighting scheme = LambdaWeighting.NdcgLoss2PP, int? k = null, float sigma = 1f, float mu = 10f,
        bool naturalLog = false, bool sigmoid = false, ulong seed = 42) : base(model, sigmoid, seed)
    {
        if (k is < 1) throw new ArgumentOutOfRangeException(nameof(k), "k must be 1 or more");
        if (!(sigma > 0 && float.IsFinite(sigma))) throw new ArgumentOutOfRangeException(nameof(sigma), "sigma must be a positive number");
        if (!(mu >= 0 && float.IsFinite(mu))) throw new ArgumentOutOfRangeException(nameof(mu), "mu must be 0 or more");
        this.scheme = scheme;
        this.k = k;
        this.sigma = sigma;
        this.mu = mu;
        natural = naturalLog;
    }

    /// <inheritdoc />
    public override string Name => scheme == LambdaWeighting.None ? "ranknet" : "lambda";

    /// <inheritdoc />
    protected override double Sum(ReadOnlySpan<double> x, ReadOnlySpan<float> y, int rows, int width, Span<double> grad, out int count) =>
        Lists(x, y, rows, width, grad, out count, scheme, k, sigma, mu, natural);

    /// <summary>
    /// The sum over the lists of scores <paramref name="x"/> [rows, width] (NaN: absent) with labels
    /// <paramref name="y"/> of LambdaLoss's pair terms, its gradient, and the number of pairs.
    /// </summary>
    public static double Lists(ReadOnlySpan<double> x, ReadOnlySpan<float> y, int rows, int width, Span<double> grad, out int count,
        LambdaWeighting scheme, int? k, double sigma, double mu, bool natural)
    {
        double sum = 0, lnB = natural ? 1 : Math.Log(2);
        count = 0;
        int top = k ?? width;
        for (int r = 0; r < rows; r++)
        {
            var present = Present(x, r, width);
            int n = present.Length;
            if (n == 0) continue;
            var scores = x.Slice(r * width, width).ToArray();
            var order = present.OrderByDescending(j => scores[j]).ToArray(); // stable: ties keep the input order
            var labels = y.Slice(r * width, width).ToArray();
            var t = order.Select(j => (double)labels[j]).ToArray();
            var ideal = t.OrderDescending().ToArray();
            double maxDcg = 0;
            for (int i = 0; i < Math.Min(top, n); i++) maxDcg += (Math.Pow(2, Math.Max(ideal[i], 0)) - 1) / Discount(i);
            maxDcg = Math.Max(maxDcg, Eps);
            var gain = t.Select(v => (Math.Pow(2, Math.Max(v, 0)) - 1) / maxDcg).ToArray();
            for (int i = 0; i < Math.Min(top, n); i++)
                for (int j = 0; j < Math.Min(top, n); j++)
                {
                    if (scheme != LambdaWeighting.NdcgLoss1 && !(t[i] - t[j] > 0)) continue;
                    count++;
                    double w = Weight(scheme, gain, i, j, mu);
                    double s = Math.Clamp(scores[order[i]] - scores[order[j]], -1e8, 1e8);
                    double p = 1 / (1 + Math.Exp(-sigma * s));
                    double q = Math.Pow(Math.Max(p, Eps), w);
                    sum -= Math.Log(Math.Max(q, Eps)) / lnB;
                    if (p <= Eps || q <= Eps || w == 0) continue;
                    double d = -w * sigma * (1 - p) / lnB; // ∂term/∂s
                    grad[r * width + order[i]] += d;
                    grad[r * width + order[j]] -= d;
                }
        }
        return sum;
    }

    /// <summary>D_i = log2(2 + i), the discount of position i (from 0).</summary>
    private static double Discount(int i) => Math.Log2(2 + i);

    private static double Weight(LambdaWeighting scheme, double[] gain, int i, int j, double mu) => scheme switch
    {
        LambdaWeighting.None => 1,
        LambdaWeighting.NdcgLoss1 => gain[i] / Discount(i),
        LambdaWeighting.NdcgLoss2 => NdcgLoss2(gain, i, j),
        LambdaWeighting.LambdaRank => LambdaRank(gain, i, j),
        _ => mu * NdcgLoss2(gain, i, j) + LambdaRank(gain, i, j),
    };

    private static double NdcgLoss2(double[] gain, int i, int j)
    {
        int d = Math.Abs(i - j);
        return d == 0 ? 0 : Math.Abs(1 / Discount(d - 1) - 1 / Discount(d)) * Math.Abs(gain[i] - gain[j]);
    }

    private static double LambdaRank(double[] gain, int i, int j) =>
        Math.Abs(1 / Discount(i) - 1 / Discount(j)) * Math.Abs(gain[i] - gain[j]);
}
