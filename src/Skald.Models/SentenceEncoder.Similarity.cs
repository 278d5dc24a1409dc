using Skald.Models.Modules;

namespace Skald.Models;

/// <summary>Comparing a <see cref="SentenceEncoder"/>'s embeddings with its similarity function.</summary>
public sealed partial class SentenceEncoder
{
    /// <summary>The model's similarity of two embeddings (<see cref="ArgumentException"/> when their lengths differ).</summary>
    public float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Similarities.Compute(SimilarityFunction, a, b);

    /// <summary>
    /// Similarity matrix [a.Count, b.Count] by the model's similarity function (sentence-transformers'
    /// <c>model.similarity</c>; <see cref="Similarities.Matrix(SimilarityFunction, IReadOnlyList{float[]}, IReadOnlyList{float[]})"/>). Throws <see cref="ArgumentNullException"/> for a
    /// null list and <see cref="ArgumentException"/> for two vectors of different lengths.
    /// </summary>
    public float[,] Similarity(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b) => Similarities.Matrix(SimilarityFunction, a, b);

    /// <summary>
    /// The similarity of each pair (a[i], b[i]) by the model's similarity function (sentence-transformers'
    /// <c>model.similarity_pairwise</c>; <see cref="Similarities.Pairwise(SimilarityFunction, IReadOnlyList{float[]}, IReadOnlyList{float[]})"/>): one score a pair, not the whole matrix.
    /// Lists of different counts or vectors of different lengths are an <see cref="ArgumentException"/>.
    /// </summary>
    public float[] SimilarityPairwise(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b) => Similarities.Pairwise(SimilarityFunction, a, b);

    /// <summary>
    /// The similarity matrix of sparse embeddings (<see cref="EncodeSparse"/>) by the model's similarity function, as a
    /// SparseEncoder's <c>model.similarity</c> computes it (<see cref="Similarities.Matrix(SimilarityFunction, IReadOnlyList{SparseEmbedding}, IReadOnlyList{SparseEmbedding})"/>).
    /// </summary>
    public float[,] Similarity(IReadOnlyList<SparseEmbedding> a, IReadOnlyList<SparseEmbedding> b) => Similarities.Matrix(SimilarityFunction, a, b);

    /// <summary>
    /// The similarity of each pair of sparse embeddings by the model's similarity function (a SparseEncoder's
    /// <c>model.similarity_pairwise</c>).
    /// </summary>
    public float[] SimilarityPairwise(IReadOnlyList<SparseEmbedding> a, IReadOnlyList<SparseEmbedding> b) => Similarities.Pairwise(SimilarityFunction, a, b);
}
