using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' MatryoshkaLoss: Σ_k weight_k · inner(embeddings truncated to dims_k) (weights default 1).
/// </summary>
public sealed class MatryoshkaLoss : EmbeddingLoss
{
    /// <summary>Wraps <paramref name="inner"/> over the truncations <paramref name="dims"/>.</summary>
    public MatryoshkaLoss(IEmbeddingLoss inner, int[] dims, float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (dims.Length == 0) throw new ArgumentException("no Matryoshka dimensions", nameof(dims));
        if (weights is not null && weights.Length != dims.Length)
            throw new ArgumentException($"{weights.Length} weights for {dims.Length} dimensions", nameof(weights));
        Inner = inner;
        Dims = dims;
        Weights = weights ?? [.. dims.Select(_ => 1f)];
    }

    /// <summary>The wrapped loss.</summary>
    public IEmbeddingLoss Inner { get; }

    /// <summary>Truncation widths.</summary>
    public IReadOnlyList<int> Dims { get; }

    /// <summary>Weight per width.</summary>
    public IReadOnlyList<float> Weights { get; }

    /// <inheritdoc />
    public override string Name => "matryoshka_" + Inner.Name;

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        foreach (var g in gradients) Array.Clear(g.Data);
        double total = 0;
        for (int k = 0; k < Dims.Count; k++)
        {
            int dim = Dims[k];
            var cut = columns.Select(c => c.Truncate(dim)).ToArray();
            var cutGrads = cut.Select(c => new EmbeddingBatch(c.Rows, dim)).ToArray();
            total += Weights[k] * (double)LossParameterGradients.Scaled(Inner, Weights[k], () => Inner.Compute(cut, labels, cutGrads));
            for (int c = 0; c < columns.Count; c++)
            {
                for (int r = 0; r < columns[c].Rows; r++)
                {
                    var dst = gradients[c].Row(r)[..dim];
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(cutGrads[c].Row(r), Weights[k], dst, dst);
                }
            }
        }
        return (float)total;
    }
}
