using System.Numerics.Tensors;

namespace Skald.Models.Modules;

/// <summary>Parsing and evaluation of <see cref="SimilarityFunction"/>.</summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/util/similarity.py</remarks>
public static class Similarities
{
    /// <summary>Parses sentence-transformers' names ("cosine", "dot", "euclidean", "manhattan").</summary>
    public static SimilarityFunction Parse(string name, string source) => name switch
    {
        "cosine" => SimilarityFunction.Cosine,
        "dot" or "dot_product" => SimilarityFunction.Dot,
        "euclidean" => SimilarityFunction.Euclidean,
        "manhattan" => SimilarityFunction.Manhattan,
        _ => throw new ModelFormatException($"{source}: similarity_fn_name \"{name}\" is not one of cosine, dot, euclidean, manhattan"),
    };

    /// <summary>The name sentence-transformers writes.</summary>
    public static string Name(SimilarityFunction f) => f switch
    {
        SimilarityFunction.Cosine => "cosine",
        SimilarityFunction.Dot => "dot",
        SimilarityFunction.Euclidean => "euclidean",
        _ => "manhattan",
    };

    /// <summary>Similarity of two vectors of equal length.</summary>
    public static float Compute(SimilarityFunction f, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors differ in length ({a.Length} and {b.Length})");
        return f switch
        {
            SimilarityFunction.Cosine => CosineOrZero(a, b),
            SimilarityFunction.Dot => TensorPrimitives.Dot(a, b),
            SimilarityFunction.Euclidean => -TensorPrimitives.Distance(a, b),
            _ => -VectorDistances.Manhattan(a, b),
        };
    }

    /// <summary>
    /// Similarity of two sparse embeddings, as of their dense vectors (sentence-transformers' similarity functions on
    /// sparse tensors, a SparseEncoder's <c>model.similarity</c>): no dimension check, an entry one of them lacks is 0.
    /// </summary>
    public static float Compute(SimilarityFunction f, SparseEmbedding a, SparseEmbedding b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return f switch
        {
            SimilarityFunction.Dot => SparseEmbedding.Dot(a, b),
            SimilarityFunction.Cosine => SparseEmbedding.Dot(a, b) / (MathF.Max(TensorPrimitives.Norm(a.Values), 1e-12f) * MathF.Max(TensorPrimitives.Norm(b.Values), 1e-12f)),
            // ‖a − b‖² = ‖a‖² + ‖b‖² − 2·a·b, held at 0 against rounding, as upstream computes it for sparse tensors
            SimilarityFunction.Euclidean => -MathF.Sqrt(MathF.Max(0f, TensorPrimitives.Dot(a.Values, a.Values) + TensorPrimitives.Dot(b.Values, b.Values) - 2f * SparseEmbedding.Dot(a, b))),
            _ => -SparseManhattan(a, b),
        };
    }

    /// <summary>
    /// The similarity matrix [a.Count, b.Count]: entry (i, j) is <paramref name="f"/> of a[i] and b[j]
    /// (sentence-transformers' <c>cos_sim</c>, <c>dot_score</c>, <c>euclidean_sim</c>, <c>manhattan_sim</c>, and
    /// <c>model.similarity</c>). A null list is an <see cref="ArgumentNullException"/>, a null row or two rows of
    /// different lengths an <see cref="ArgumentException"/>.
    /// </summary>
    public static float[,] Matrix(SimilarityFunction f, IReadOnlyList<float[]> a, IReadOnlyList<float[]> b) =>
        Matrix(a, b, (x, y) => Compute(f, x, y));

    /// <summary>The similarity matrix of sparse embeddings (<see cref="Compute(SimilarityFunction, SparseEmbedding, SparseEmbedding)"/>), checked as the dense one.</summary>
    public static float[,] Matrix(SimilarityFunction f, IReadOnlyList<SparseEmbedding> a, IReadOnlyList<SparseEmbedding> b) =>
        Matrix(a, b, (x, y) => Compute(f, x, y));

    /// <summary>
    /// The similarity of each pair (a[i], b[i]) (sentence-transformers' <c>pairwise_cos_sim</c>,
    /// <c>pairwise_dot_score</c>, <c>pairwise_euclidean_sim</c>, <c>pairwise_manhattan_sim</c>, and
    /// <c>model.similarity_pairwise</c>). Lists of different counts, a null row or rows of different lengths are an
    /// <see cref="ArgumentException"/>, a null list an <see cref="ArgumentNullException"/>.
    /// </summary>
    public static float[] Pairwise(SimilarityFunction f, IReadOnlyList<float[]> a, IReadOnlyList<float[]> b) =>
        Pairwise(a, b, (x, y) => Compute(f, x, y));

    /// <summary>The similarity of each pair of sparse embeddings (<see cref="Compute(SimilarityFunction, SparseEmbedding, SparseEmbedding)"/>), checked as the dense one.</summary>
    public static float[] Pairwise(SimilarityFunction f, IReadOnlyList<SparseEmbedding> a, IReadOnlyList<SparseEmbedding> b) =>
        Pairwise(a, b, (x, y) => Compute(f, x, y));

    /// <summary>
    /// The angle similarity of each pair (a[i], b[i]), sentence-transformers' <c>pairwise_angle_sim</c> (AnglE, Li &amp; Li
    /// 2023): each vector's halves as the real and imaginary parts of complex numbers, the summed parts of their
    /// normalised quotient, absolute (<see cref="SignedAngle"/>). Rows need an even length (upstream's chunk into halves);
    /// a zero row gives NaN, as upstream's division by its norm does. Checked as <see cref="Pairwise(SimilarityFunction, IReadOnlyList{float[]}, IReadOnlyList{float[]})"/>.
    /// </summary>
    /// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/util/similarity.py (pairwise_angle_sim)</remarks>
    public static float[] PairwiseAngle(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b) =>
        Pairwise(a, b, (x, y) => (float)Math.Abs(SignedAngle(x, y)));

    /// <summary>
    /// The angle similarity of x and y before its absolute value, the one definition <see cref="PairwiseAngle"/> and the
    /// AnglE loss share: with halves x = [p; q], y = [r; s], Σ (p·(r − s) + q·(r + s)) / (‖x‖ ‖y‖), summed in double.
    /// </summary>
    public static double SignedAngle(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"vectors differ in length ({x.Length} and {y.Length})");
        if (x.Length % 2 != 0) throw new ArgumentException($"the angle similarity splits vectors into two halves; {x.Length} values do not split");
        int h = x.Length / 2;
        double dot = 0, xx = 0, yy = 0;
        for (int k = 0; k < h; k++)
        {
            double p = x[k], q = x[h + k], r = y[k], s = y[h + k];
            dot += p * (r - s) + q * (r + s);
            xx += p * p + q * q;
            yy += r * r + s * s;
        }
        return dot / (Math.Sqrt(xx) * Math.Sqrt(yy));
    }

    private static float[,] Matrix<T>(IReadOnlyList<T> a, IReadOnlyList<T> b, Func<T, T, float> score) where T : class
    {
        CheckRows(a, nameof(a));
        CheckRows(b, nameof(b));
        var m = new float[a.Count, b.Count];
        for (int i = 0; i < a.Count; i++)
        {
            for (int j = 0; j < b.Count; j++) m[i, j] = score(a[i], b[j]);
        }
        return m;
    }

    private static float[] Pairwise<T>(IReadOnlyList<T> a, IReadOnlyList<T> b, Func<T, T, float> score) where T : class
    {
        CheckRows(a, nameof(a));
        CheckRows(b, nameof(b));
        if (a.Count != b.Count) throw new ArgumentException($"pairwise similarity needs as many rows in b as in a ({b.Count} and {a.Count})", nameof(b));
        var scores = new float[a.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = score(a[i], b[i]);
        return scores;
    }

    private static void CheckRows<T>(IReadOnlyList<T> rows, string name) where T : class
    {
        ArgumentNullException.ThrowIfNull(rows, name);
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i] is null) throw new ArgumentException($"row {i} is null", name);
        }
    }

    private static float SparseManhattan(SparseEmbedding a, SparseEmbedding b)
    {
        double sum = 0;
        int i = 0, j = 0;
        while (i < a.Indices.Length || j < b.Indices.Length)
        {
            int x = i < a.Indices.Length ? a.Indices[i] : int.MaxValue, y = j < b.Indices.Length ? b.Indices[j] : int.MaxValue;
            if (x == y) sum += Math.Abs((double)a.Values[i++] - b.Values[j++]);
            else if (x < y) sum += Math.Abs((double)a.Values[i++]);
            else sum += Math.Abs((double)b.Values[j++]);
        }
        return (float)sum;
    }

    private static float CosineOrZero(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        // sentence-transformers normalises with eps 1e-12 first, so a zero vector has similarity 0, not NaN.
        float na = MathF.Max(TensorPrimitives.Norm(a), 1e-12f), nb = MathF.Max(TensorPrimitives.Norm(b), 1e-12f);
        return TensorPrimitives.Dot(a, b) / (na * nb);
    }
}
