using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Skald.Retrieval.Plaid;

/// <summary>
/// A PLAID index's inverted file (<c>plaid.ivf</c>): for every centroid the rows that have at least one token vector coded
/// with it, each row once, ascending, as ColBERTv2's optimised IVF maps a centroid to passage ids
/// (<c>colbert/indexing/utils.py</c> <c>optimize_ivf</c>, <c>colbert/search/strided_tensor.py</c>). File: magic, the
/// centroid count (int32), count + 1 int64 list starts, then the rows (int32), little-endian; read whole at open.
/// </summary>
public sealed class CellLists
{
    private static ReadOnlySpan<byte> Magic => "SKALDPIV"u8;

    private readonly long[] starts;
    private readonly int[] rows;

    private CellLists(long[] starts, int[] rows) => (this.starts, this.rows) = (starts, rows);

    /// <summary>Number of centroids (lists).</summary>
    public int Count => starts.Length - 1;

    /// <summary>The rows of centroid <paramref name="cell"/>'s list, ascending.</summary>
    public ReadOnlySpan<int> Rows(int cell) => rows.AsSpan((int)starts[cell], (int)(starts[cell + 1] - starts[cell]));

    /// <summary>
    /// The lists of <paramref name="count"/> centroids over rows whose token vectors' centroid ids are
    /// <paramref name="cells"/>, row r's being cells[offsets[r] .. offsets[r + 1]].
    /// </summary>
    public static CellLists Build(ReadOnlySpan<int> cells, ReadOnlySpan<long> offsets, int count)
    {
        var sizes = new long[count + 1];
        var last = new int[count];
        Array.Fill(last, -1);
        int rowCount = offsets.Length - 1;
        for (int r = 0; r < rowCount; r++)
            for (long t = offsets[r]; t < offsets[r + 1]; t++)
                if (last[cells[(int)t]] != r)
                {
                    last[cells[(int)t]] = r;
                    sizes[cells[(int)t] + 1]++;
                }
        for (int c = 0; c < count; c++) sizes[c + 1] += sizes[c];
        var rows = new int[sizes[count]];
        var fill = sizes[..count];
        Array.Fill(last, -1);
        for (int r = 0; r < rowCount; r++)
            for (long t = offsets[r]; t < offsets[r + 1]; t++)
            {
                int c = cells[(int)t];
                if (last[c] == r) continue;
                last[c] = r;
                rows[fill[c]++] = r;
            }
        return new CellLists(sizes, rows);
    }

    /// <summary>Writes the lists (<c>plaid.ivf</c>).</summary>
    public void Write(Stream stream)
    {
        var header = new byte[12];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Count);
        stream.Write(header);
        stream.Write(MemoryMarshal.AsBytes(starts.AsSpan()));
        stream.Write(MemoryMarshal.AsBytes(rows.AsSpan()));
    }

    /// <summary>Reads lists <see cref="Write"/> wrote for <paramref name="count"/> centroids over <paramref name="rowCount"/> rows; damage is an <see cref="EvaluationException"/> naming <paramref name="path"/>.</summary>
    public static CellLists Read(string path, int count, int rowCount)
    {
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (index damaged?)");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 || !bytes.AsSpan(0, 8).SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)) != count
            || bytes.Length < 12 + 8L * (count + 1))
            throw new EvaluationException($"{path}: not the inverted lists of {count} PLAID centroids (index damaged?)");
        var starts = MemoryMarshal.Cast<byte, long>(bytes.AsSpan(12, 8 * (count + 1))).ToArray();
        for (int c = 0; c < count; c++)
            if (starts[0] != 0 || starts[c + 1] < starts[c])
                throw new EvaluationException($"{path}: list {c} starts at {starts[c]} and ends at {starts[c + 1]} (index damaged?)");
        long expected = 12 + 8L * (count + 1) + 4 * starts[count];
        if (bytes.Length != expected) throw new EvaluationException($"{path}: {bytes.Length} bytes, expected {expected} (index damaged?)");
        var rows = MemoryMarshal.Cast<byte, int>(bytes.AsSpan((int)(12 + 8L * (count + 1)))).ToArray();
        foreach (int r in rows)
            if ((uint)r >= (uint)rowCount) throw new EvaluationException($"{path}: row {r} of an index of {rowCount} rows (index damaged?)");
        return new CellLists(starts, rows);
    }
}
