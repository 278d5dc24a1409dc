using Skald.Training.Config;
using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// sentence-transformers' cross-encoder PListMLELoss and ListMLELoss (Xia et al. 2008; Lan et al. 2014;
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/losses/PListMLELoss.py):
/// the negative log-likelihood of the list's order under the Plackett-Luce model of the scores. With the documents in
/// order π (as given, <c>respect_input_order</c>, which assumes the most relevant first; or by label, highest first,
/// ties in input order), n of them, C_i = Σ_(j ≥ i) e^(x_π(j)) and ε = 1e−10:
/// ℓ = −Σ_i λ_i·(x_π(i) − log(C_i + ε)), so ∂ℓ/∂x_π(m) = −λ_m + Σ_(i ≤ m) λ_i·e^(x_π(m)) / (C_i + ε).
/// ListMLE has λ_i = 1; PListMLE weighs position i (from 0) by 2^(n − i) − 1, normalised to sum to 1 (÷ (Σλ + ε)),
/// upstream's default PListMLELambdaWeight, or by given weights per position (<c>loss.position_weights</c>: what a
/// custom <c>rank_discount_fn</c> returning fixed weights per position gives upstream), normalised the same way. The mean
/// over the lists. Upstream pads a shorter list's scores with
/// 1e−16, whose e^x = 1 each then enter the sums C_i of that list; here an absent document is left out, so a list's
/// loss does not depend on how long the others in its batch are (equal for lists of one length).
/// </summary>
public sealed class PListMleLoss : ListwiseLoss
{
    private const double Eps = 1e-10;
    private readonly bool weighted;
    private readonly bool respectInputOrder;
    private readonly IReadOnlyList<float>? positionWeights;

    /// <summary>
    /// PListMLE (<paramref name="weighted"/>) or ListMLE over <paramref name="model"/>, the documents in their given
    /// order (<paramref name="respectInputOrder"/>) or sorted by label; PListMLE with <paramref name="positionWeights"/>
    /// weighs position i by entry i (at least as many as the longest list has documents).
    /// </summary>
    public PListMleLoss(TrainableEncoder model, bool weighted = true, bool respectInputOrder = true, bool sigmoid = false, ulong seed = 42,
        IReadOnlyList<float>? positionWeights = null)
        : base(model, sigmoid, seed)
    {
        if (positionWeights is not null && !weighted) throw new ArgumentException("ListMLE has no position weights (PListMLE does)", nameof(positionWeights));
        this.weighted = weighted;
        this.respectInputOrder = respectInputOrder;
        this.positionWeights = positionWeights;
    }

    /// <inheritdoc />
    public override string Name => weighted ? "plistmle" : "listmle";

    /// <inheritdoc />
    protected override double Sum(ReadOnlySpan<double> x, ReadOnlySpan<float> y, int rows, int width, Span<double> grad, out int count) =>
        Lists(x, y, rows, width, grad, out count, weighted, respectInputOrder, positionWeights);

    /// <summary>
    /// The sum over the lists of scores <paramref name="x"/> [rows, width] (NaN: absent) with labels
    /// <paramref name="y"/> of the (P)ListMLE loss, its gradient, and the number of lists; PListMLE weighs the positions
    /// by <paramref name="positionWeights"/> when given, else by upstream's default.
    /// </summary>
    public static double Lists(ReadOnlySpan<double> x, ReadOnlySpan<float> y, int rows, int width, Span<double> grad, out int count,
        bool weighted, bool respectInputOrder, IReadOnlyList<float>? positionWeights = null)
    {
        if (positionWeights is not null && positionWeights.Count < width)
            throw new TrainingException($"loss.position_weights has {positionWeights.Count} weights for lists of up to {width} documents");
        double sum = 0;
        count = 0;
        for (int r = 0; r < rows; r++)
        {
            var order = Present(x, r, width);
            int n = order.Length;
            if (n == 0) continue;
            count++;
            if (!respectInputOrder)
            {
                var labels = y.Slice(r * width, width).ToArray();
                order = [.. order.OrderByDescending(j => labels[j])]; // stable: ties keep the input order
            }
            var e = new double[n];
            var c = new double[n]; // C_i + ε
            for (int i = 0; i < n; i++) e[i] = Math.Exp(x[r * width + order[i]]);
            double tail = 0;
            for (int i = n - 1; i >= 0; i--)
            {
                tail += e[i];
                c[i] = tail + Eps;
            }
            var lambda = new double[n];
            double total = 0;
            for (int i = 0; i < n; i++) total += lambda[i] = !weighted ? 1 : positionWeights is null ? Math.Pow(2, n - i) - 1 : positionWeights[i];
            if (weighted) for (int i = 0; i < n; i++) lambda[i] /= total + Eps;
            double prefix = 0; // Σ_(i ≤ m) λ_i / (C_i + ε)
            for (int m = 0; m < n; m++)
            {
                int at = r * width + order[m];
                sum -= lambda[m] * (x[at] - Math.Log(c[m]));
                prefix += lambda[m] / c[m];
                grad[at] += -lambda[m] + prefix * e[m];
            }
        }
        return sum;
    }
}
