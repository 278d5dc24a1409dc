using System.Numerics.Tensors;

namespace Skald.Tensors.Kernels;

/// <summary>Row lookup in an embedding table: out[i, :] = table[ids[i], :]. table: [V, dim].</summary>
public static class Embedding
{
    /// <summary>Forward. ids: [n] (each in [0, V)), table: [V, dim], output: [n, dim].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<int> ids, ReadOnlySpan<float> table, Span<float> output, int n, int dim)
    {
        Check(ids, output.Length, n, dim);
        int vocab = dim == 0 ? 0 : table.Length / dim;
        for (int i = 0; i < n; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} at {i} is outside [0, {vocab}).");
            table.Slice(id * dim, dim).CopyTo(output.Slice(i * dim, dim));
        }
    }

    /// <summary>Backward (scatter-add): ACCUMULATES dtable[ids[i], :] += dy[i, :]. dy: [n, dim], dtable: [V, dim].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<int> ids, ReadOnlySpan<float> dy, Span<float> dtable, int n, int dim)
    {
        Check(ids, dy.Length, n, dim);
        int vocab = dim == 0 ? 0 : dtable.Length / dim;
        for (int i = 0; i < n; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} at {i} is outside [0, {vocab}).");
            var row = dtable.Slice(id * dim, dim);
            TensorPrimitives.Add(row, dy.Slice(i * dim, dim), row);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Check(ReadOnlySpan<int> ids, int rowsLength, int n, int dim)
    {
        if (n < 0 || dim < 0) throw new ArgumentOutOfRangeException(nameof(n));
        if (ids.Length < n) throw new ArgumentException($"ids needs {n} elements.", nameof(ids));
        if (rowsLength < (long)n * dim) throw new ArgumentException($"Activations need {(long)n * dim} elements.");
    }
}
