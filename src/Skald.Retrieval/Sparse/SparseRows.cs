using System.Runtime.InteropServices;
using Skald.Models;

namespace Skald.Retrieval.Sparse;

/// <summary>
/// A sparse index's rows on disk (<c>embeddings.sparse</c>): the magic <c>SKALDSPV</c>, rows and dimension (int32),
/// then per row its entry count (int32), its vocabulary ids (int32, ascending) and their weights (float32), all
/// little-endian. An index maps it beside its postings (<see cref="SparseIndex.Open"/>, <see cref="MappedSparseRows"/>);
/// <see cref="Read"/> reads it whole (an index written before the postings file).
/// </summary>
public static class SparseRows
{
    private static ReadOnlySpan<byte> Magic => "SKALDSPV"u8;

    /// <summary>Bytes before the first row (magic, rows, dimension).</summary>
    internal const int HeaderBytes = 16;

    /// <summary>
    /// Writes <paramref name="rows"/> (width <paramref name="dimension"/>) to <paramref name="stream"/>; returns the rows
    /// written. With <paramref name="offsets"/>, each row's byte offset from the file's start is added to it, then the end.
    /// </summary>
    public static int Write(Stream stream, IEnumerable<SparseEmbedding> rows, int dimension, List<long>? offsets = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(rows);
        long start = stream.Position;
        stream.Write(Magic);
        Span<int> head = [0, dimension];
        stream.Write(MemoryMarshal.AsBytes(head));
        int count = 0;
        Span<int> n = stackalloc int[1];
        foreach (var row in rows)
        {
            offsets?.Add(stream.Position - start);
            n[0] = row.Count;
            stream.Write(MemoryMarshal.AsBytes(n));
            stream.Write(MemoryMarshal.AsBytes(row.Indices.AsSpan()));
            stream.Write(MemoryMarshal.AsBytes(row.Values.AsSpan()));
            count++;
        }
        long end = stream.Position;
        offsets?.Add(end - start);
        stream.Position = start + Magic.Length;
        head[0] = count;
        stream.Write(MemoryMarshal.AsBytes(head[..1]));
        stream.Position = end;
        return count;
    }

    /// <summary>Reads <paramref name="path"/>, which must hold <paramref name="rows"/> rows of width <paramref name="dimension"/>; damage throws <see cref="EvaluationException"/> naming the file.</summary>
    public static SparseEmbedding[] Read(string path, int rows, int dimension)
    {
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (a sparse index; index damaged?)");
        using var fs = File.OpenRead(path);
        using var reader = new BinaryReader(fs);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) throw new EvaluationException($"{path}: not a Skald sparse rows file");
            int stored = reader.ReadInt32(), width = reader.ReadInt32();
            if (stored != rows || width != dimension)
                throw new EvaluationException($"{path}: {stored} rows of width {width}, the manifest {rows} of {dimension}");
            var result = new SparseEmbedding[rows];
            for (int r = 0; r < rows; r++)
            {
                int n = reader.ReadInt32();
                if (n < 0 || n > dimension) throw new EvaluationException($"{path}: row {r} claims {n} entries");
                var indices = new int[n];
                var values = new float[n];
                fs.ReadExactly(MemoryMarshal.AsBytes(indices.AsSpan()));
                fs.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
                for (int j = 0; j < n; j++)
                {
                    if ((uint)indices[j] >= (uint)dimension || (j > 0 && indices[j] <= indices[j - 1]))
                        throw new EvaluationException($"{path}: row {r} has entries out of order or outside the vocabulary of {dimension}");
                }
                result[r] = new SparseEmbedding(indices, values);
            }
            if (fs.Position != fs.Length) throw new EvaluationException($"{path}: {fs.Length - fs.Position} bytes after the last row");
            return result;
        }
        catch (EndOfStreamException)
        {
            throw new EvaluationException($"{path}: ends early (index damaged?)");
        }
    }
}
