using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' CoSENTLoss: pairs (sentence1, sentence2) with float labels; s_i = scale · cos(u_i, v_i);
/// loss = log(1 + Σ_{label_i &lt; label_j} exp(s_i − s_j)) (logsumexp over 0 and those differences). The ranking part
/// (<see cref="Rank"/>) is shared with <see cref="AnglELoss"/>, which only changes the pair similarity.
/// </summary>
public sealed class CoSENTLoss(float scale = 20f) : EmbeddingLoss
{
    /// <summary>Multiplier of the cosine similarities.</summary>
    public float Scale { get; } = scale;

    /// <inheritdoc />
    public override string Name => "cosent";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 2, 2, "CoSENTLoss");
        if (labels is null || labels.Count != columns[0].Rows) throw new ArgumentException("CoSENTLoss needs one float label per pair");
        var pairs = new PairCosines(columns[0], columns[1]);
        var s = pairs.Values.Select(c => Scale * c).ToArray();
        var dsim = new double[s.Length];
        double loss = Rank(s, labels, dsim);
        for (int i = 0; i < dsim.Length; i++) dsim[i] *= Scale;
        pairs.Backward(dsim, gradients[0], gradients[1]);
        return (float)loss;
    }

    /// <summary>
    /// The ranking loss of scaled pair scores <paramref name="s"/>: log(1 + Σ_{label_i &lt; label_j} exp(s_i − s_j));
    /// <paramref name="dsim"/> gets d(loss)/d(s_i).
    /// </summary>
    internal static double Rank(double[] s, IReadOnlyList<float> labels, double[] dsim)
    {
        int b = s.Length;
        var terms = new List<double> { 0.0 };
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < b; j++) if (labels[i] < labels[j]) terms.Add(s[i] - s[j]);
        }
        double lse = CosineMath.LogSumExp(terms.ToArray());
        Array.Clear(dsim);
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < b; j++)
            {
                if (!(labels[i] < labels[j])) continue;
                double w = Math.Exp(s[i] - s[j] - lse);
                dsim[i] += w;
                dsim[j] -= w;
            }
        }
        return lse;
    }
}
