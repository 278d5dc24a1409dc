using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Skald.Retrieval.Index;

/// <summary>
/// A whole file mapped read-only, its bytes handed out as memory over the mapping (no copy: reads go through the page
/// cache). Thread-safe for reading; the memory must not be used after <see cref="Dispose"/> (which may be called more than once).
/// A file cut shorter in place by another process while mapped would make reading its lost pages fault the process
/// (SIGBUS, an AccessViolationException that cannot be caught); <see cref="ThrowIfCut"/> asks the open file's length
/// first, so a reader fails with a message instead.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly FileStream? stream; // the mapped file as opened: its length now, whatever name it has
    private readonly MemoryMappedFile? file;
    private readonly MemoryMappedViewAccessor? view;
    private readonly byte* data;
    private readonly bool owner = true; // false for a View: the file and mapping are the owner's
    private int disposed;

    /// <summary>Maps <paramref name="path"/> (an empty file maps to no bytes).</summary>
    public MappedFile(string path)
    {
        Path = path;
        Length = new FileInfo(path).Length;
        if (Length == 0) return;
        stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read); // as MemoryMappedFile.CreateFromFile(path) opens it
        try
        {
            Length = stream.Length;
            file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            view = file.CreateViewAccessor(0, Length, MemoryMappedFileAccess.Read);
        }
        catch
        {
            file?.Dispose();
            stream.Dispose();
            throw;
        }
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        data = p + view.PointerOffset;
    }

    private MappedFile(MappedFile of)
    {
        (Path, Length, owner) = (of.Path, of.Length, false);
        if (of.file is null) return;
        file = of.file;
        view = file.CreateViewAccessor(0, Length, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        data = p + view.PointerOffset;
    }

    /// <summary>
    /// A second view of the same mapping (the same open file, whatever its name now names): the pages read through it
    /// leave the process's resident memory when it is disposed, so one pass over the whole file (a check) need not keep
    /// it all resident. Dispose it before this.
    /// </summary>
    public MappedFile View() => new(this);

    /// <summary>The file's path (for messages).</summary>
    public string Path { get; }

    /// <summary>File length in bytes, as mapped.</summary>
    public long Length { get; }

    /// <summary>
    /// Throws <see cref="EvaluationException"/> naming the file when it is shorter now than when it was mapped (cut in
    /// place by another process: reading the lost pages would crash the process). One <c>fstat</c>, no allocation;
    /// a cut between this check and the read that follows is not caught.
    /// </summary>
    public void ThrowIfCut()
    {
        if (stream is null) return;
        long now = RandomAccess.GetLength(stream.SafeFileHandle);
        if (now < Length)
            throw new EvaluationException($"{Path}: cut to {now} bytes while the index was open ({Length} when it was opened): " +
                "another process rewrote it in place; open the index again, or rebuild it if it is damaged");
    }

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

    /// <summary>
    /// A pointer to byte <paramref name="offset"/> of the mapping, bytes [<paramref name="offset"/>,
    /// <paramref name="offset"/> + <paramref name="length"/>) checked once to lie in the file, for a reader whose
    /// every later read stays in that range (<see cref="Hnsw.MappedHnsw"/>'s walk). Valid until <see cref="Dispose"/>.
    /// </summary>
    public byte* Address(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
            throw new ArgumentOutOfRangeException(nameof(length), $"{length} bytes at byte {offset} of {Length}");
        return data + offset;
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
        if (!owner) return;
        file?.Dispose();
        stream?.Dispose();
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
