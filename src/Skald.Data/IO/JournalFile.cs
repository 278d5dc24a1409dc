namespace Skald.Data.IO;

/// <summary>
/// An append-only file of lines that survives a kill: each <see cref="Append"/> is one write flushed to disk before
/// it returns, and on opening only complete lines (ending in a newline) are read; a torn last line, left by a process
/// killed mid-write, is cut off before the next append. The journals of LLM runs are built on it
/// (<see cref="Llm.GenerationJournal"/>, <c>skald generate</c>'s).
/// </summary>
public sealed class JournalFile : IDisposable
{
    private readonly Lock gate = new();
    private readonly long keep;
    private FileStream? stream;
    private bool disposed;

    private JournalFile(string path, List<byte[]> lines, long keep, byte[] tail)
    {
        Path = path;
        Lines = lines;
        Tail = tail;
        this.keep = keep;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The complete lines the file held at opening, in order, as UTF-8 without their newline.</summary>
    public IReadOnlyList<byte[]> Lines { get; }

    /// <summary>The bytes after the last complete line at opening (a line torn by a kill), cut at the first append.</summary>
    public byte[] Tail { get; }

    /// <summary>
    /// Opens the journal at <paramref name="path"/>, reading its complete lines. With <paramref name="create"/> the
    /// file is created (or its torn last line cut) now; otherwise at the first <see cref="Append"/>, so a run that
    /// fails before it has anything to record leaves no file behind.
    /// </summary>
    public static JournalFile Open(string path, bool create = true)
    {
        var lines = new List<byte[]>();
        long keep = 0;
        byte[] bytes = [];
        if (File.Exists(path))
        {
            bytes = File.ReadAllBytes(path);
            int start = 0;
            for (int i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] != (byte)'\n') continue;
                lines.Add(bytes[start..i]);
                start = i + 1;
                keep = start;
            }
        }
        var journal = new JournalFile(path, lines, keep, bytes[(int)keep..]);
        if (create) journal.Stream();
        return journal;
    }

    /// <summary>
    /// Appends <paramref name="text"/> (one or more lines, each ending in a newline) with a single write and flushes
    /// it to disk.
    /// </summary>
    public void Append(ReadOnlySpan<byte> text)
    {
        if (text.Length == 0 || text[^1] != (byte)'\n') throw new ArgumentException("journal text must end in a newline");
        lock (gate)
        {
            var s = Stream();
            s.Write(text);
            s.Flush(flushToDisk: true);
        }
    }

    /// <summary>Closes the journal and deletes its file (the work it recorded is saved elsewhere).</summary>
    public void Delete()
    {
        Dispose();
        File.Delete(Path);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (gate)
        {
            stream?.Dispose();
            stream = null;
            disposed = true;
        }
    }

    private FileStream Stream()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (stream is not null) return stream;
        var fs = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        fs.SetLength(keep); // drop a torn last line
        fs.Seek(keep, SeekOrigin.Begin);
        return stream = fs;
    }
}
