using Skald.Models.Modules;

namespace Skald.Models;

/// <summary>Comparing a <see cref="SentenceEncoder"/>'s embeddings with its similarity function.</summary>
public sealed partial class SentenceEncoder
{
    /// <summary>The model's similarity of two embeddings (<see cref="ArgumentException"/> when their lengths differ).</summary>
    public float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Similarities.Compute(SimilarityFunction, a, b);

    /// <summary>
    /// Similarity matrix [a.Count, b.Count]. Throws <see cref="ArgumentNullException"/> for a null list and
    /// <see cref="ArgumentException"/> for two vectors of different lengths.
    /// </summary>
    public float[,] Similarity(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var m = new float[a.Count, b.Count];
        for (int i = 0; i < a.Count; i++)
        {
            for (int j = 0; j < b.Count; j++) m[i, j] = Similarity(a[i], b[j]);
        }
        return m;
    }
}
