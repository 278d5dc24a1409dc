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
