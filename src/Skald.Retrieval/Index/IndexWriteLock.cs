namespace Skald.Retrieval.Index;

/// <summary>
/// One writer at a time per index folder: <c>index build</c>, <c>add</c>, <c>reindex</c> and <c>delete</c> each read
/// the index, then write a new version made from what they read, so two at once would lose one's change (a delete's
/// tombstones overwritten by an add that read the rows before it, or written by row numbers of an index an add has
/// since replaced). A writer holds an exclusive lock on the hidden file <c>.lock-NAME</c> beside the folder
/// (<c>flock</c> on Unix, a sharing lock on Windows) from its first read to its last rename; the lock goes with the
/// process, so a killed writer never leaves the index locked. The file itself stays (removing it would race with the
/// next writer opening it). Searches take no lock: they read whole versions (<see cref="IndexWriter"/>).
/// </summary>
internal sealed class IndexWriteLock : IDisposable
{
    private readonly FileStream file;

    private IndexWriteLock(FileStream file) => this.file = file;

    /// <summary>The lock file of the index in <paramref name="folder"/>.</summary>
    public static string PathOf(string folder)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        return Path.Combine(Path.GetDirectoryName(full) ?? full, ".lock-" + Path.GetFileName(full));
    }

    /// <summary>
    /// Takes the lock of the index in <paramref name="folder"/>, or throws <see cref="EvaluationException"/> saying
    /// another writer holds it (no waiting: an <c>index add</c> may embed for minutes). A missing parent folder is left
    /// to the caller's own check (no lock is needed where no index can be written).
    /// </summary>
    public static IndexWriteLock? Take(string folder)
    {
        string path = PathOf(folder);
        if (!Directory.Exists(Path.GetDirectoryName(path))) return null;
        try
        {
            return new IndexWriteLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (UnauthorizedAccessException)
        {
            return null; // a read-only place: the write itself will say so
        }
        catch (IOException)
        {
            throw new EvaluationException($"{folder}: another skald is writing this index (index build, add, reindex or delete; lock {path}); run again when it has ended");
        }
    }

    /// <inheritdoc />
    public void Dispose() => file.Dispose();
}
