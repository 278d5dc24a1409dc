using Skald.Tensors.Autograd;

namespace Skald.Models.Checkpoints;

/// <summary>
/// A parameter's tensor as its checkpoint stores it: the parameter itself, or, for a
/// <see cref="Parameter.StoredTransposed"/> weight (transformers' Conv1D, GPT-2), its transpose [in, out]. Loading
/// (<see cref="ParameterBuilder.Conv1D"/>) and every writer of the checkpoint layout go through here, so a saved GPT-2
/// folder loads in transformers and back in Skald.
/// </summary>
public static class StoredLayout
{
    /// <summary>The tensor <paramref name="p"/> with values <paramref name="values"/> (its own layout) as stored under <paramref name="name"/>.</summary>
    public static TensorToWrite Tensor(string name, Parameter p, ReadOnlyMemory<float> values)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.StoredTransposed) return new TensorToWrite(name, p.Shape, values);
        var stored = new float[values.Length];
        Transpose(values.Span, stored, p.Shape[0], p.Shape[1]);
        return new TensorToWrite(name, [p.Shape[1], p.Shape[0]], stored);
    }

    /// <summary>dst [cols, rows] = srcᵀ for src [rows, cols], both row-major.</summary>
    public static void Transpose<T>(ReadOnlySpan<T> src, Span<T> dst, int rows, int cols)
    {
        if (src.Length != (long)rows * cols || dst.Length != src.Length)
            throw new ArgumentException($"expected {rows}·{cols} values, got {src.Length} and {dst.Length}");
        for (int r = 0; r < rows; r++)
        {
            var row = src.Slice(r * cols, cols);
            for (int c = 0; c < cols; c++) dst[c * rows + r] = row[c];
        }
    }
}
