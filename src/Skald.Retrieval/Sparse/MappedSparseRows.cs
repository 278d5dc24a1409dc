using System.Runtime.InteropServices;
using Skald.Models;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Sparse;

/// <summary>
/// A sparse index's rows (<c>embeddings.sparse</c>, <see cref="SparseRows"/>' layout) mapped rather than read: each row
/// found by its byte offset (<see cref="SparseIndex.RowOffsets"/>) and copied out when asked for, checked as
/// <see cref="SparseRows.Read"/> checks it (damage throws <see cref="EvaluationException"/> naming the file).
/// </summary>
internal sealed class MappedSparseRows : IDisposable
{
    private readonly MappedFile map;
    private readonly ReadOnlyMemory<long> offsets;
    private readonly string path;
    private readonly int dimension;

    /// <summary>Maps <paramref name="file"/>, which must hold <paramref name="offsets"/>.Length − 1 rows of width <paramref name="dimension"/>.</summary>
    public MappedSparseRows(string file, int dimension, ReadOnlyMemory<long> offsets)
    {
        if (!File.Exists(file)) throw new EvaluationException($"{file}: missing (a sparse index; index damaged?)");
        map = new MappedFile(file);
        path = file;
        this.dimension = dimension;
        this.offsets = offsets;
        int rows = offsets.Length - 1;
        var o = offsets.Span;
        if (map.Length < SparseRows.HeaderBytes || !map.Bytes(0, 8).SequenceEqual("SKALDSPV"u8) || map.Read<int>(8) != rows || map.Read<int>(12) != dimension
            || o[0] != SparseRows.HeaderBytes || o[rows] != map.Length)
        {
            map.Dispose();
            throw new EvaluationException($"{file}: does not hold the {rows} rows of width {dimension} that sparse.postings describes (index damaged?)");
        }
    }

    /// <summary>Throws <see cref="EvaluationException"/> when the file was cut shorter since it was mapped (<see cref="MappedFile.ThrowIfCut"/>).</summary>
    public void ThrowIfCut() => map.ThrowIfCut();

    /// <summary>Row <paramref name="row"/>'s entry count, from its offsets.</summary>
    public int Count(int row)
    {
        if ((uint)row >= (uint)(offsets.Length - 1)) throw new ArgumentOutOfRangeException(nameof(row));
        return (int)((offsets.Span[row + 1] - offsets.Span[row] - 4) / 8);
    }

    /// <summary>Row <paramref name="row"/>'s non-zero entries (a copy).</summary>
    public SparseEmbedding Row(int row)
    {
        if ((uint)row >= (uint)(offsets.Length - 1)) throw new ArgumentOutOfRangeException(nameof(row));
        long at = offsets.Span[row], end = offsets.Span[row + 1];
        int n = map.Read<int>(at);
        if (n < 0 || n > dimension || end - at != 4 + 8L * n) throw new EvaluationException($"{path}: row {row} claims {n} entries (index damaged?)");
        var indices = MemoryMarshal.Cast<byte, int>(map.Bytes(at + 4, 4 * n)).ToArray();
        var values = MemoryMarshal.Cast<byte, float>(map.Bytes(at + 4 + 4L * n, 4 * n)).ToArray();
        for (int j = 0; j < n; j++)
            if ((uint)indices[j] >= (uint)dimension || (j > 0 && indices[j] <= indices[j - 1]))
                throw new EvaluationException($"{path}: row {row} has entries out of order or outside the vocabulary of {dimension}");
        return new SparseEmbedding(indices, values);
    }

    /// <inheritdoc/>
    public void Dispose() => map.Dispose();
}
