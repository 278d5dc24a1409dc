using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Plaid;

/// <summary>
/// Writes a PLAID index's token files into a staging folder (<see cref="IndexWriter"/>'s, before its <c>rows</c> kill
/// point): <c>tokens.cells</c>, <c>tokens.residuals</c>, <c>tokens.offsets</c>, <c>plaid.codec</c> and <c>plaid.ivf</c>
/// (<see cref="MappedTokenRows"/>, <see cref="CellLists"/>).
/// </summary>
internal static class PlaidTokenWriter
{
    /// <summary>Writes <paramref name="rows"/> rows: fresh ones from <paramref name="fresh"/> (float32 [tokens × dim], in order), kept ones copied as <paramref name="plaid"/> says.</summary>
    public static void Write(string tmp, IEnumerable<ReadOnlyMemory<float>> fresh, int rows, PlaidWrite plaid)
    {
        var codec = plaid.Codec;
        int dim = codec.Dimension, width = codec.PackedBytes;
        if (plaid.Kept is { } k && k.Count != rows) throw new ArgumentException($"{k.Count} kept-row entries for {rows} rows", nameof(plaid));
        var offsets = new long[rows + 1];
        var allCells = new List<int>();
        int[] cells = [];
        byte[] packed = [];
        using var next = fresh.GetEnumerator();
        using (var cs = Create(Path.Combine(tmp, MappedTokenRows.CellsFile)))
        using (var rs = Create(Path.Combine(tmp, MappedTokenRows.ResidualsFile)))
        {
            for (int r = 0; r < rows; r++)
            {
                int old = plaid.Kept?[r] ?? -1;
                ReadOnlySpan<int> ids;
                ReadOnlySpan<byte> codes;
                if (old >= 0)
                {
                    ids = plaid.Old!.Cells(old);
                    codes = plaid.Old.Residuals(old);
                }
                else
                {
                    if (!next.MoveNext()) throw new ArgumentException($"token vectors for {r} rows, {rows} records", nameof(fresh));
                    var t = next.Current;
                    if (t.Length % dim != 0) throw new ArgumentException($"row {r}'s {t.Length} token values are not vectors of {dim}", nameof(fresh));
                    int n = t.Length / dim;
                    if (cells.Length < n) (cells, packed) = (new int[n], new byte[n * width]);
                    codec.Compress(t.Span, n, cells, packed);
                    ids = cells.AsSpan(0, n);
                    codes = packed.AsSpan(0, n * width);
                }
                cs.Write(MemoryMarshal.AsBytes(ids));
                rs.Write(codes);
                foreach (int id in ids) allCells.Add(id);
                offsets[r + 1] = offsets[r] + ids.Length;
            }
            if (next.MoveNext()) throw new ArgumentException($"token vectors for more than the {rows} records", nameof(fresh));
            cs.Flush(true);
            rs.Flush(true);
        }
        var bytes = new byte[(rows + 1L) * sizeof(long)];
        for (int r = 0; r <= rows; r++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(r * sizeof(long)), offsets[r]);
        using (var os = Create(Path.Combine(tmp, MappedTokenRows.OffsetsFile)))
        {
            os.Write(bytes);
            os.Flush(true);
        }
        using (var fs = Create(Path.Combine(tmp, MappedTokenRows.CodecFile)))
        {
            codec.Write(fs);
            fs.Flush(true);
        }
        using (var fs = Create(Path.Combine(tmp, MappedTokenRows.ListsFile)))
        {
            CellLists.Build(CollectionsMarshal.AsSpan(allCells), offsets, codec.CentroidCount).Write(fs);
            fs.Flush(true);
        }
    }

    private static FileStream Create(string path) => new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
}
