using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace Skald.Tensors.Memory;

/// <summary>
/// One read-only handle on a file, shared by every <see cref="FileValues"/> that reads from it: a checkpoint's matrices
/// and tables left in their safetensors file hold one open file per file (not one per tensor: BERT-base left ~49 open),
/// and the file closes when the opener and every <see cref="FileValues"/> on it are done (<see cref="Dispose"/>, each
/// <see cref="FileValues.Dispose"/>). Opened for random access and with <see cref="FileShare.Delete"/>, so replacing the
/// file by a rename while it is open is safe on Linux. Thread-safe.
/// </summary>
public sealed class SharedFile : IDisposable
{
    private readonly SafeFileHandle handle;
    private readonly Lock gate = new();
    private int references = 1; // the opener's
    private int openerReleased;

    private SharedFile(string path, SafeFileHandle handle)
    {
        Path = path;
        this.handle = handle;
        Length = RandomAccess.GetLength(handle);
    }

    /// <summary>Opens <paramref name="path"/> for reading; throws <see cref="IOException"/> (or the file system's error) when it cannot.</summary>
    public static SharedFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        try
        {
            return new SharedFile(path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The file's length in bytes when it was opened.</summary>
    public long Length { get; }

    /// <summary>Whether the handle is closed (the opener and every reader released it).</summary>
    public bool IsClosed => handle.IsClosed;

    internal SafeFileHandle Handle => handle;

    /// <summary>
    /// A read-only memory map of this open file (not of whatever the path names now): a reader that maps the file to
    /// parse it (a safetensors header) and the <see cref="FileValues"/> that read it later see the same file even when
    /// the path is replaced in between. The map does not close the handle; dispose it before releasing this file.
    /// </summary>
    public MemoryMappedFile CreateMap() =>
        MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);

    /// <summary>One more reference to the open file, released by <see cref="SharedFileReference.Dispose"/> (once).</summary>
    internal SharedFileReference Acquire()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(references == 0, this);
            references++;
        }
        return new SharedFileReference(this);
    }

    internal void Release()
    {
        bool close;
        lock (gate) close = --references == 0;
        if (close) handle.Dispose();
    }

    /// <summary>Releases the opener's reference (once): the file closes when no <see cref="FileValues"/> reads from it either.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref openerReleased, 1) == 0) Release();
    }
}
