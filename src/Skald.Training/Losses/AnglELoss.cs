using Skald.Models.Modules;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' AnglELoss (Li &amp; Li 2023, https://arxiv.org/abs/2309.12871): <see cref="CoSENTLoss"/> over
/// s_i = scale · angle(u_i, v_i), sentence-transformers' <c>pairwise_angle_sim</c> (<see cref="Similarities.SignedAngle"/>, absolute). Its complex-number form (halves
/// x = [a; b], y = [c; d] as a + ib and c + id, the normalised quotient's real and imaginary parts summed) comes to
/// angle(x, y) = |P| / (‖x‖‖y‖) with P = a·(c − d) + b·(c + d) = x·(T y), T y = [c − d; c + d], Tᵀx = [a + b; b − a];
/// so with S = P / (‖x‖‖y‖): dS/dx = T y / (‖x‖‖y‖) − S x / ‖x‖², dS/dy = Tᵀx / (‖x‖‖y‖) − S y / ‖y‖², and
/// d|S| = sign(S) dS. The width must be even.
/// </summary>
public sealed class AnglELoss(float scale = 20f) : EmbeddingLoss
{
    /// <summary>Multiplier of the angle similarities.</summary>
    public float Scale { get; } = scale;

    /// <inheritdoc />
    public override string Name => "angle";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 2, 2, "AnglELoss");
        if (labels is null || labels.Count != columns[0].Rows) throw new ArgumentException("AnglELoss needs one float label per pair");
        int b = columns[0].Rows, d = columns[0].Dim, h = d / 2;
        if (d % 2 != 0) throw new ArgumentException($"AnglELoss splits embeddings into two halves; {d} dimensions do not split");
        var x = columns[0];
        var y = columns[1];
        var signed = new double[b];
        var nx = new double[b];
        var ny = new double[b];
        var s = new double[b];
        for (int i = 0; i < b; i++)
        {
            ReadOnlySpan<float> xi = x.Row(i), yi = y.Row(i);
            nx[i] = Norm(xi);
            ny[i] = Norm(yi);
            signed[i] = Similarities.SignedAngle(xi, yi); // the one definition of pairwise_angle_sim
            s[i] = Scale * Math.Abs(signed[i]);
        }
        var dsim = new double[b];
        double loss = CoSENTLoss.Rank(s, labels, dsim);
        for (int i = 0; i < b; i++)
        {
            ReadOnlySpan<float> xi = x.Row(i), yi = y.Row(i);
            Span<float> gx = gradients[0].Row(i), gy = gradients[1].Row(i);
            double g = Scale * dsim[i] * Math.Sign(signed[i]), inv = 1 / (nx[i] * ny[i]), si = signed[i];
            for (int k = 0; k < h; k++)
            {
                double a = xi[k], bb = xi[h + k], c = yi[k], dd = yi[h + k];
                gx[k] = (float)(g * ((c - dd) * inv - si * a / (nx[i] * nx[i])));
                gx[h + k] = (float)(g * ((c + dd) * inv - si * bb / (nx[i] * nx[i])));
                gy[k] = (float)(g * ((a + bb) * inv - si * c / (ny[i] * ny[i])));
                gy[h + k] = (float)(g * ((bb - a) * inv - si * dd / (ny[i] * ny[i])));
            }
        }
        return (float)loss;
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        double sum = 0;
        foreach (float t in v) sum += (double)t * t;
        return Math.Sqrt(sum);
    }
}
