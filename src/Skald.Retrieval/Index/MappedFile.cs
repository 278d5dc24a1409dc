using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Skald.Retrieval.Index;

/// <summary>
/// A whole file mapped read-only, its bytes handed out as memory over the mapping (no copy: reads go through the page
/// cache). Thread-safe for reading; the memory must not be used after <see cref="Dispose"/> (which may be called more than once).
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? file;
    private readonly MemoryMappedViewAccessor? view;
    private readonly byte* data;
    private int disposed;

    /// <summary>Maps <paramref name="path"/> (an empty file maps to no bytes).</summary>
    public MappedFile(string path)
    {
        Length = new FileInfo(path).Length;
        if (Length == 0) return;
        file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        view = file.CreateViewAccessor(0, Length, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        data = p + view.PointerOffset;
    }

    /// <summary>File length in bytes.</summary>
    public long Length { get; }

    /// <summary><paramref name="count"/> values of <typeparamref name="T"/> from byte <paramref name="offset"/> (aligned to T).</summary>
    public ReadOnlyMemory<T> Memory<T>(long offset, int count) where T : unmanaged
    {
        Check<T>(offset, count);
        return count == 0 ? ReadOnlyMemory<T>.Empty : new Pointer<T>((T*)(data + offset), count).Memory;
    }

    /// <summary><see cref="Memory{T}"/> as a span (no allocation).</summary>
    public ReadOnlySpan<T> Span<T>(long offset, int count) where T : unmanaged
    {
        Check<T>(offset, count);
        return count == 0 ? [] : new ReadOnlySpan<T>(data + offset, count);
    }

    private void Check<T>(long offset, int count) where T : unmanaged
    {
        if (offset < 0 || count < 0 || offset > Length || (long)count * sizeof(T) > Length - offset || offset % sizeof(T) != 0)
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} values at byte {offset} of {Length}");
    }

    /// <summary><paramref name="count"/> bytes from <paramref name="offset"/> as a span over the mapping.</summary>
    public ReadOnlySpan<byte> Bytes(long offset, int count) => Span<byte>(offset, count);

    /// <summary>The value of <typeparamref name="T"/> at byte <paramref name="offset"/>.</summary>
    public T Read<T>(long offset) where T : unmanaged => MemoryMarshal.Read<T>(Bytes(offset, sizeof(T)));

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        file?.Dispose();
    }

    /// <summary>Memory over a stretch of the mapping (no ownership: the mapping outlives it).</summary>
    private sealed class Pointer<T>(T* start, int length) : MemoryManager<T> where T : unmanaged
    {
        public override Span<T> GetSpan() => new(start, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }
}
