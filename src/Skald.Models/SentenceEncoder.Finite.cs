namespace Skald.Models;

/// <summary>The check that an encoder's embeddings are finite.</summary>
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// Embeddings must be finite: a model with NaN or infinite weights (or a broken config) would otherwise write NaN
    /// into files and score 0 in evaluation without a word. One sum per batch; the rows are looked at only when it is
    /// not finite (a sum of huge finite values can overflow too, and is then no error).
    /// </summary>
    private void CheckFinite(ReadOnlySpan<float> y, int cols, ReadOnlySpan<int> textIndex)
    {
        if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(y))) return;
        for (int i = 0; i < textIndex.Length; i++)
        {
            if (!AllFinite(y.Slice(i * cols, cols)))
                throw new ModelFormatException(
                    $"{Folder.Path}: the model gives a non-finite embedding (NaN or infinity) for text {textIndex[i] + 1}; " +
                    "its weights or config.json are broken");
        }
    }

    /// <summary>Whether every value is finite: one SIMD sum, and a look at each value only when the sum is not finite.</summary>
    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(values))) return true;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) return false;
        }
        return true;
    }
}
