using System.Runtime.InteropServices;

namespace Skald.Retrieval.Index;

/// <summary>
/// One writer at a time per index folder: <c>index build</c>, <c>add</c>, <c>reindex</c> and <c>delete</c> each read
/// the index, then write a new version made from what they read, so two at once would lose one's change (a delete's
/// tombstones overwritten by an add that read the rows before it, or written by row numbers of an index an add has
/// since replaced). A writer holds an exclusive lock on the hidden file <c>.lock-NAME</c> beside the folder
/// (<c>flock</c> on Unix, a sharing lock on Windows) from its first read to its last rename; the lock goes with the
/// process, so a killed writer never leaves the index locked. A writer that ends removes the file while it still holds
/// the lock (on Windows the file is opened delete-on-close): a second writer that opened the file just before must not
/// then lock that removed file while a third creates a new one, so a writer keeps a lock only once it has checked that
/// the path still names the file it locked (same device and inode), and else opens the path again. Where that check
/// cannot be made the file stays, as it always did. Searches take no lock: they read whole versions (<see cref="IndexWriter"/>);
/// only one that finds a killed write's leftovers takes it, without waiting, for the moment of the clean-up (<see cref="IndexRecovery"/>).
/// </summary>
internal sealed partial class IndexWriteLock : IDisposable
{
    /// <summary>How often a writer opens the lock file again after finding the one it locked removed, before it gives up.</summary>
    private const int Attempts = 100;

    /// <summary>
    /// How long a writer tries again before it says the index is busy: a search cleaning up after a killed write holds
    /// the lock for that moment only (<see cref="IndexRecovery"/>), and a writer must not be refused for it.
    /// </summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The lock files this process holds, by full path, each with the managed thread that took it: a writer's own
    /// recovery asks (<see cref="HeldHere"/>), and a search on another thread of the same process must not take that
    /// writer's staging for a dead one's (<see cref="HeldInProcess"/>).
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Held = new(StringComparer.Ordinal);

    private readonly FileStream file;
    private readonly string path;
    private readonly bool remove;

    private IndexWriteLock(FileStream file, string path, bool remove)
    {
        this.file = file;
        this.path = path;
        this.remove = remove;
        Held[path] = Environment.CurrentManagedThreadId;
    }

    /// <summary>
    /// Whether the calling thread holds the lock of the index in <paramref name="folder"/>: then no other writer of it is
    /// running, and every leftover is a dead writer's.
    /// </summary>
    public static bool HeldHere(string folder) => Held.TryGetValue(PathOf(folder), out int thread) && thread == Environment.CurrentManagedThreadId;

    /// <summary>
    /// Whether any thread of this process holds the lock of the index in <paramref name="folder"/>: a writer of this
    /// process is running, and leftovers named by this process's id may be its staging.
    /// </summary>
    public static bool HeldInProcess(string folder) => Held.ContainsKey(PathOf(folder));

    /// <summary>The lock file of the index in <paramref name="folder"/>.</summary>
    public static string PathOf(string folder)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        return Path.Combine(Path.GetDirectoryName(full) ?? full, ".lock-" + Path.GetFileName(full));
    }

    /// <summary>
    /// Takes the lock of the index in <paramref name="folder"/>, or throws <see cref="EvaluationException"/> saying
    /// another writer holds it (no waiting beyond a quarter of a second, the moment a search's clean-up may hold it:
    /// an <c>index add</c> may embed for minutes). A missing parent folder is left
    /// to the caller's own check (no lock is needed where no index can be written).
    /// </summary>
    public static IndexWriteLock? Take(string folder) => Take(folder, Open);

    /// <summary>
    /// <see cref="Take(string)"/> without trying again when it is held: for a search's clean-up, which leaves the
    /// leftovers to a running writer rather than wait for it.
    /// </summary>
    public static IndexWriteLock? TakeNow(string folder) => Take(folder, Open, TimeSpan.Zero);

    /// <summary>
    /// <see cref="Take(string)"/> with the lock file opened (and locked) by <paramref name="open"/>: for tests that
    /// hand it a file removed between its opening and its locking, as a writer ending at that moment removes it.
    /// </summary>
    internal static IndexWriteLock? Take(string folder, Func<string, FileStream> open) => Take(folder, open, Grace);

    private static IndexWriteLock? Take(string folder, Func<string, FileStream> open, TimeSpan grace)
    {
        string path = PathOf(folder);
        if (!Directory.Exists(Path.GetDirectoryName(path))) return null;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            FileStream file;
            try
            {
                file = open(path);
            }
            catch (UnauthorizedAccessException)
            {
                return null; // a read-only place: the write itself will say so
            }
            catch (IOException)
            {
                if (waited.Elapsed >= grace) break;
                Thread.Sleep(10);
                continue;
            }
            if (OperatingSystem.IsWindows()) return new IndexWriteLock(file, path, remove: false); // delete-on-close removes it
            switch (Names(file, path))
            {
                case true:
                    return new IndexWriteLock(file, path, remove: true);
                case null:
                    return new IndexWriteLock(file, path, remove: false); // cannot tell: keep the file, as before
                default:
                    file.Dispose(); // the writer before removed the file we locked: lock the one at the path now
                    break;
            }
        }
        throw new EvaluationException($"{folder}: another skald is writing this index (index build, add, reindex or delete; lock {path}); run again when it has ended");
    }

    /// <summary>Removes the lock file (while still holding it, so no other writer can have locked it), then lets it go.</summary>
    public void Dispose()
    {
        Held.TryRemove(path, out _);
        if (remove)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // left in place: harmless, the next writer locks it again
            }
        }
        file.Dispose();
    }

    private static FileStream Open(string path) =>
        new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1,
            OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None);

    /// <summary>
    /// Whether <paramref name="path"/> names the file <paramref name="file"/> has open: true, false (removed, or another
    /// file there now), or null when it cannot be told (no <c>stat</c> to call). The first 16 bytes of <c>struct stat</c>
    /// are <c>st_dev</c> and <c>st_ino</c>, 8 bytes each, on 64-bit Linux (glibc's x86-64 and generic layouts, the
    /// latter arm64's, and musl's), and hold both on macOS too (with the mode and link count, the same for the same
    /// file), so they are compared whole. glibc before 2.33 exports no <c>stat</c> or <c>fstat</c> (they were inline
    /// calls of <c>__xstat</c> and <c>__fxstat</c>): there those are called, with the layout version of x86-64 (1) or
    /// arm64 (0), so such a system removes its lock files too and never trusts one that a newer one removed.
    /// </summary>
    private static bool? Names(FileStream file, string path)
    {
        try
        {
            return SameFile(file, path, legacy: false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        try
        {
            return SameFile(file, path, legacy: true);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// <see cref="Names"/> through <c>fstat</c> and <c>stat</c>, or through glibc's older <c>__fxstat</c> and
    /// <c>__xstat</c> when <paramref name="legacy"/> (null on a processor whose layout version is not known here).
    /// Throws <see cref="EntryPointNotFoundException"/> where the C library lacks the functions.
    /// </summary>
    internal static bool? SameFile(FileStream file, string path, bool legacy)
    {
        int version = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 1,
            Architecture.Arm64 => 0,
            _ => -1,
        };
        if (legacy && (version < 0 || !OperatingSystem.IsLinux())) return null;
        Span<byte> open = stackalloc byte[256], named = stackalloc byte[256];
        open.Clear();
        named.Clear();
        int fd = (int)file.SafeFileHandle.DangerousGetHandle();
        ref byte o = ref MemoryMarshal.GetReference(open), n = ref MemoryMarshal.GetReference(named);
        if ((legacy ? FStatOld(version, fd, ref o) : FStat(fd, ref o)) != 0) return null;
        if ((legacy ? StatOld(version, path, ref n) : Stat(path, ref n)) != 0) return false; // no file at the path any more
        return open[..16].SequenceEqual(named[..16]);
    }

    [LibraryImport("libc", EntryPoint = "fstat")]
    private static partial int FStat(int fd, ref byte stat);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte stat);

    [LibraryImport("libc", EntryPoint = "__fxstat")]
    private static partial int FStatOld(int version, int fd, ref byte stat);

    [LibraryImport("libc", EntryPoint = "__xstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatOld(int version, string path, ref byte stat);
}
