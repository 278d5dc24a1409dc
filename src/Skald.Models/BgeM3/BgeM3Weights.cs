namespace Skald.Models.BgeM3;

/// <summary>
/// How <see cref="BgeM3Encoder.Score"/> combines the three scores, as FlagEmbedding's <c>compute_score</c> with
/// <c>weights_for_different_modes</c> [dense, sparse, colbert]: (w₀·dense + w₁·sparse + w₂·colbert) / (w₀ + w₁ + w₂).
/// The default is compute_score's [1, 1, 1]; BGE-M3's model card suggests [0.4, 0.2, 0.4]. A weight of 0 leaves that
/// score out (its output is then not needed).
/// </summary>
/// <param name="Dense">Weight of the dense score.</param>
/// <param name="Sparse">Weight of the lexical (sparse) score.</param>
/// <param name="Colbert">Weight of the ColBERT score.</param>
public readonly record struct BgeM3Weights(float Dense, float Sparse, float Colbert)
{
    /// <summary>compute_score's default [1, 1, 1].</summary>
    public static BgeM3Weights Equal { get; } = new(1f, 1f, 1f);

    /// <summary>The dense score alone.</summary>
    public static BgeM3Weights DenseOnly { get; } = new(1f, 0f, 0f);

    /// <summary>The lexical score alone.</summary>
    public static BgeM3Weights SparseOnly { get; } = new(0f, 1f, 0f);

    /// <summary>The ColBERT score alone.</summary>
    public static BgeM3Weights ColbertOnly { get; } = new(0f, 0f, 1f);

    /// <summary>The outputs these weights need (those with a weight that is not 0).</summary>
    public BgeM3Outputs Needed =>
        (Dense != 0 ? BgeM3Outputs.Dense : 0) | (Sparse != 0 ? BgeM3Outputs.Sparse : 0) | (Colbert != 0 ? BgeM3Outputs.Colbert : 0);

    /// <summary>
    /// The weights [dense, sparse, colbert] as given (e.g. <c>0.4,0.2,0.4</c>): three finite numbers, none negative, not
    /// all 0; otherwise an <see cref="ArgumentException"/> saying which.
    /// </summary>
    public static BgeM3Weights Of(IReadOnlyList<float> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != 3) throw new ArgumentException($"BGE-M3 weights are three numbers (dense, sparse, colbert), got {weights.Count}", nameof(weights));
        var w = new BgeM3Weights(weights[0], weights[1], weights[2]);
        w.Check();
        return w;
    }

    /// <summary>(w₀·dense + w₁·sparse + w₂·colbert) / (w₀ + w₁ + w₂).</summary>
    public float Combine(float dense, float sparse, float colbert)
    {
        Check();
        double sum = (double)Dense + Sparse + Colbert;
        double s = (Dense != 0 ? (double)Dense * dense : 0) + (Sparse != 0 ? (double)Sparse * sparse : 0) + (Colbert != 0 ? (double)Colbert * colbert : 0);
        return (float)(s / sum);
    }

    /// <summary>Throws <see cref="ArgumentException"/> for a weight that is negative or not finite, or all three 0.</summary>
    public void Check()
    {
        CheckOne("dense", Dense);
        CheckOne("sparse", Sparse);
        CheckOne("colbert", Colbert);
        if (Dense + Sparse + Colbert <= 0) throw new ArgumentException("at least one of the dense, sparse and colbert weights must be above 0");
    }

    private static void CheckOne(string name, float v)
    {
        if (!float.IsFinite(v) || v < 0)
            throw new ArgumentException($"the {name} weight must be a finite number of at least 0, got {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }
}
