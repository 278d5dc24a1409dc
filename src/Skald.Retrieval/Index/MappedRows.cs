using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Skald.Retrieval.Index;

/// <summary>
/// A read-only memory-mapped view of a row-major float32 matrix [rows × dim] (an index's <c>embeddings.f32</c>): rows
/// are handed out as spans and memory over the mapping itself, so search reads the file through the page cache with
/// no copy and the corpus need not fit in the managed heap. Thread-safe for reading.
/// </summary>
internal sealed unsafe class MappedRows : IDisposable
{
    private readonly MemoryMappedFile? file;
    private readonly MemoryMappedViewAccessor? view;
    private readonly float* data;

    /// <summary>Maps <paramref name="path"/>, which must hold exactly rows × dim floats.</summary>
    public MappedRows(string path, int rows, int dim)
    {
        Rows = rows;
        Dimension = dim;
        long bytes = (long)rows * dim * sizeof(float);
        long length = new FileInfo(path).Length;
        if (length != bytes)
            throw new EvaluationException($"{path}: {length} bytes, expected {rows} rows × {dim} floats = {bytes} (index damaged?)");
        if (bytes == 0) return; // an empty file cannot be mapped; nothing to read
        file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        view = file.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        data = (float*)(p + view.PointerOffset);
    }

    /// <summary>Row count.</summary>
    public int Rows { get; }

    /// <summary>Row width.</summary>
    public int Dimension { get; }

    /// <summary>Row <paramref name="row"/> [dim].</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        return new ReadOnlySpan<float>(data + (long)row * Dimension, Dimension);
    }

    /// <summary>Rows [start, start + count) as a span [count × dim] over the mapping (count × dim must fit an int).</summary>
    public ReadOnlySpan<float> Span(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows) throw new ArgumentOutOfRangeException(nameof(count));
        return new ReadOnlySpan<float>(data + (long)start * Dimension, checked(count * Dimension));
    }

    /// <summary>Rows [start, start + count) as one block [count × dim] over the mapping (count × dim must fit an int).</summary>
    public ReadOnlyMemory<float> Block(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows) throw new ArgumentOutOfRangeException(nameof(count));
        return new Pointer(data + (long)start * Dimension, checked(count * Dimension)).Memory;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        file?.Dispose();
    }

    /// <summary>Memory over a span of the mapping (no ownership: the mapping outlives it).</summary>
    private sealed class Pointer(float* start, int length) : MemoryManager<float>
    {
        public override Span<float> GetSpan() => new(start, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }
}
