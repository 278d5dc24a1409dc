using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// The row-wise cosine similarities of two columns, cos_i = û_i·v̂_i (F.normalize, eps 1e-12), and their backward: the
/// pair part that CoSENTLoss and CosineSimilarityLoss share.
/// </summary>
internal sealed class PairCosines
{
    private readonly double[] u, un, v, vn;
    private readonly int rows, dim;

    /// <summary>Normalises both columns ([rows, dim] each) and takes each pair's cosine.</summary>
    public PairCosines(EmbeddingBatch a, EmbeddingBatch b)
    {
        (u, un) = CosineMath.Normalize(a);
        (v, vn) = CosineMath.Normalize(b);
        rows = a.Rows;
        dim = a.Dim;
        Values = new double[rows];
        for (int i = 0; i < rows; i++) Values[i] = CosineMath.Dot(u, i, v, i, dim);
    }

    /// <summary>cos_i per pair.</summary>
    public double[] Values { get; }

    /// <summary>Writes d(loss)/d(columns) into <paramref name="gradA"/> and <paramref name="gradB"/> from d(loss)/d(cos_i) = <paramref name="dcos"/>.</summary>
    public void Backward(ReadOnlySpan<double> dcos, EmbeddingBatch gradA, EmbeddingBatch gradB)
    {
        var du = new double[rows * dim];
        var dv = new double[rows * dim];
        for (int i = 0; i < rows; i++)
        {
            for (int t = 0; t < dim; t++)
            {
                du[i * dim + t] = dcos[i] * v[i * dim + t];
                dv[i * dim + t] = dcos[i] * u[i * dim + t];
            }
        }
        CosineMath.Backward(u, un, du, gradA);
        CosineMath.Backward(v, vn, dv, gradB);
    }
}
