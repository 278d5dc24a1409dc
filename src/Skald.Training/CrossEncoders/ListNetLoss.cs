using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// sentence-transformers' cross-encoder ListNetLoss (Cao et al. 2007;
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/losses/ListNetLoss.py):
/// for each list, the cross-entropy between the labels' softmax p = softmax(y) and the scores' softmax s =
/// softmax(x) over the documents present, ℓ = −Σ_j p_j·log s_j, so ∂ℓ/∂x_j = s_j − p_j; the mean over the lists.
/// </summary>
public sealed class ListNetLoss : ListwiseLoss
{
    /// <summary>The loss over <paramref name="model"/> (scores through a sigmoid when <paramref name="sigmoid"/>).</summary>
    public ListNetLoss(TrainableEncoder model, bool sigmoid = false, ulong seed = 42) : base(model, sigmoid, seed)
    {
    }

    /// <inheritdoc />
    public override string Name => "listnet";

    /// <inheritdoc />
    protected override double Sum(ReadOnlySpan<double> x, ReadOnlySpan<float> y, int rows, int width, Span<double> grad, out int count) =>
        Lists(x, y, rows, width, grad, out count);

    /// <summary>ListNet's sum over the lists of scores <paramref name="x"/> [rows, width] (NaN: absent) with labels <paramref name="y"/>, its gradient, and the number of lists.</summary>
    public static double Lists(ReadOnlySpan<double> x, ReadOnlySpan<float> y, int rows, int width, Span<double> grad, out int count)
    {
        double sum = 0;
        count = 0;
        for (int r = 0; r < rows; r++)
        {
            var present = Present(x, r, width);
            if (present.Length == 0) continue;
            count++;
            double maxX = double.NegativeInfinity, maxY = double.NegativeInfinity, sx = 0, sy = 0;
            foreach (int j in present)
            {
                maxX = Math.Max(maxX, x[r * width + j]);
                maxY = Math.Max(maxY, y[r * width + j]);
            }
            foreach (int j in present)
            {
                sx += Math.Exp(x[r * width + j] - maxX);
                sy += Math.Exp(y[r * width + j] - maxY);
            }
            double logZ = maxX + Math.Log(sx);
            foreach (int j in present)
            {
                int i = r * width + j;
                double p = Math.Exp(y[i] - maxY) / sy, s = Math.Exp(x[i] - logZ);
                sum -= p * (x[i] - logZ);
                grad[i] += s - p;
            }
        }
        return sum;
    }
}
