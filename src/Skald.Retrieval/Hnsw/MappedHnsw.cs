using Skald.Retrieval.Index;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// An <c>hnsw.bin</c> mapped read-only (<see cref="MappedFile"/>) for <see cref="HnswGraph.Open"/>: the levels and
/// every link list are read from the mapping where they lie in the file (<see cref="HnswGraph"/> gives the layout), so
/// a search touches only the pages of the nodes it visits and the graph takes no managed memory; the upper layers are
/// found through the nodes above layer 0 and their offsets (about one node in M), made at open from the levels.
/// The walk's lookups (<see cref="List"/>, <see cref="Level"/>) read through pointers into the view taken once at open
/// (<see cref="MappedFile.Address"/>, whose range was checked then): a node number checked, no further slicing, as fast
/// as the arrays of a graph read whole.
/// </summary>
internal sealed unsafe class MappedHnsw : IDisposable
{
    private readonly MappedFile file;
    private readonly int count, m, m0, headerBytes;
    private readonly int[] raised;  // the nodes above layer 0, ascending
    private readonly long[] upper;  // byte offset of each raised node's layers 1 up
    private readonly byte* start;   // the file's first byte in this view
    private readonly byte* levelBytes; // a byte a node
    private readonly byte* links0;  // layer 0's lists, [count × (1 + 2M)] int32s (not 4-byte aligned)

    /// <summary>Maps <paramref name="path"/>, a graph of <paramref name="count"/> nodes with <paramref name="m"/> links
    /// per upper layer whose header (<paramref name="headerBytes"/> long) was checked; a size or level the layout does
    /// not allow throws <see cref="EvaluationException"/> naming the file.</summary>
    public MappedHnsw(string path, int count, int m, int headerBytes)
    {
        (this.count, this.m, m0, this.headerBytes) = (count, m, 2 * m, headerBytes);
        file = new MappedFile(path);
        try
        {
            if (file.Length < headerBytes + (long)count) throw new EvaluationException($"{path}: {file.Length} bytes, too short for {count} nodes");
            var levels = file.Bytes(headerBytes, count);
            var nodes = new List<int>();
            var offsets = new List<long>();
            long at = headerBytes + count + (long)count * (1 + m0) * sizeof(int);
            for (int i = 0; i < count; i++)
            {
                int level = levels[i];
                if (level == 0) continue;
                if (level > 31) throw new EvaluationException($"{path}: node {i} has level {level}");
                nodes.Add(i);
                offsets.Add(at);
                at += (long)level * (1 + m) * sizeof(int);
            }
            if (file.Length < at) throw new EvaluationException($"{path}: {file.Length} bytes, too short for {count} nodes' links ({at})");
            if (file.Length > at) throw new EvaluationException($"{path}: {file.Length - at} bytes after the graph");
            raised = [.. nodes];
            upper = [.. offsets];
            Pointers(file, headerBytes, count, out start, out levelBytes, out links0);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private MappedHnsw(MappedHnsw of)
    {
        (count, m, m0, headerBytes, raised, upper) = (of.count, of.m, of.m0, of.headerBytes, of.raised, of.upper);
        file = of.file.View();
        Pointers(file, headerBytes, count, out start, out levelBytes, out links0);
    }

    /// <summary>The file's start, levels and layer 0 in <paramref name="view"/> (its length checked by the constructor).</summary>
    private static void Pointers(MappedFile view, int headerBytes, int count, out byte* start, out byte* levels, out byte* links0)
    {
        start = view.Address(0, view.Length);
        levels = start + headerBytes;
        links0 = levels + count;
    }

    /// <summary>The same graph through a second view of the mapping (<see cref="MappedFile.View"/>): a pass over every
    /// link through it leaves nothing resident once it is disposed. Dispose it before this.</summary>
    public MappedHnsw View() => new(this);

    /// <summary>The level of <paramref name="node"/>.</summary>
    public int Level(int node)
    {
        if ((uint)node >= (uint)count) throw new ArgumentOutOfRangeException(nameof(node));
        return levelBytes[node];
    }

    /// <summary>The count-prefixed list of <paramref name="node"/> on <paramref name="layer"/> (the file's int32s need
    /// not be 4-byte aligned: the levels before them are a byte a node).</summary>
    public ReadOnlySpan<int> List(int node, int layer)
    {
        if ((uint)node >= (uint)count) throw new ArgumentOutOfRangeException(nameof(node));
        if (layer == 0) return new ReadOnlySpan<int>(links0 + (nint)node * (1 + m0) * sizeof(int), 1 + m0);
        if ((uint)(layer - 1) >= levelBytes[node]) throw new ArgumentOutOfRangeException(nameof(layer), $"node {node} has no layer {layer}");
        long at = upper[Array.BinarySearch(raised, node)] + (long)(layer - 1) * (1 + m) * sizeof(int);
        return new ReadOnlySpan<int>(start + at, 1 + m);
    }

    /// <summary>The file's bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>).</summary>
    public ReadOnlySpan<byte> Bytes(long offset, int length) => file.Bytes(offset, length);

    /// <summary>The file's length in bytes.</summary>
    public long Length => file.Length;

    /// <summary>Throws <see cref="EvaluationException"/> when the file was cut shorter since it was mapped.</summary>
    public void ThrowIfCut() => file.ThrowIfCut();

    /// <inheritdoc />
    public void Dispose() => file.Dispose();
}
