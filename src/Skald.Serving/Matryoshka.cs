using System.Numerics.Tensors;

namespace Skald.Serving;

/// <summary>
/// Matryoshka truncation as OpenAI's <c>dimensions</c> parameter does it: keep the first values and scale them to
/// unit length (a zero vector stays zero).
/// </summary>
public static class Matryoshka
{
    /// <summary>The first <paramref name="dimensions"/> values of <paramref name="embedding"/>, L2-normalised.</summary>
    public static float[] Truncate(float[] embedding, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, embedding.Length);
        var head = embedding[..dimensions];
        float norm = TensorPrimitives.Norm(head);
        if (norm > 0) TensorPrimitives.Divide(head, norm, head);
        return head;
    }
}
