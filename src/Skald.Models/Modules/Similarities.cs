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
            _ => -ManhattanDistance(a, b),
        };
    }

    /// <summary>
    /// The similarity matrix [a.Count, b.Count]: entry (i, j) is <paramref name="f"/> of a[i] and b[j]
    /// (sentence-transformers' <c>cos_sim</c>, <c>dot_score</c>, <c>euclidean_sim</c>, <c>manhattan_sim</c>, and
    /// <c>model.similarity</c>). A null list is an <see cref="ArgumentNullException"/>, a null row or two rows of
    /// different lengths an <see cref="ArgumentException"/>.
    /// </summary>
    public static float[,] Matrix(SimilarityFunction f, IReadOnlyList<float[]> a, IReadOnlyList<float[]> b)
    {
        CheckRows(a, nameof(a));
        CheckRows(b, nameof(b));
        var m = new float[a.Count, b.Count];
        for (int i = 0; i < a.Count; i++)
        {
            for (int j = 0; j < b.Count; j++) m[i, j] = Compute(f, a[i], b[j]);
        }
        return m;
    }

    /// <summary>
    /// The similarity of each pair (a[i], b[i]) (sentence-transformers' <c>pairwise_cos_sim</c>,
    /// <c>pairwise_dot_score</c>, <c>pairwise_euclidean_sim</c>, <c>pairwise_manhattan_sim</c>, and
    /// <c>model.similarity_pairwise</c>). Lists of different counts, a null row or rows of different lengths are an
    /// <see cref="ArgumentException"/>, a null list an <see cref="ArgumentNullException"/>.
    /// </summary>
    public static float[] Pairwise(SimilarityFunction f, IReadOnlyList<float[]> a, IReadOnlyList<float[]> b)
    {
        CheckRows(a, nameof(a));
        CheckRows(b, nameof(b));
        if (a.Count != b.Count) throw new ArgumentException($"pairwise similarity needs as many rows in b as in a ({b.Count} and {a.Count})", nameof(b));
        var scores = new float[a.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = Compute(f, a[i], b[i]);
        return scores;
    }

    private static void CheckRows(IReadOnlyList<float[]> rows, string name)
    {
        ArgumentNullException.ThrowIfNull(rows, name);
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i] is null) throw new ArgumentException($"row {i} is null", name);
        }
    }

    private static float CosineOrZero(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        // sentence-transformers normalises with eps 1e-12 first, so a zero vector has similarity 0, not NaN.
        float na = MathF.Max(TensorPrimitives.Norm(a), 1e-12f), nb = MathF.Max(TensorPrimitives.Norm(b), 1e-12f);
        return TensorPrimitives.Dot(a, b) / (na * nb);
    }

    private static float ManhattanDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float sum = 0;
        for (int i = 0; i < a.Length; i++) sum += MathF.Abs(a[i] - b[i]);
        return sum;
    }
}
