using System.Runtime.InteropServices;

namespace Skald.Retrieval.Index;

/// <summary>
/// One writer at a time per index folder: <c>index build</c>, <c>add</c>, <c>reindex</c> and <c>delete</c> each read
/// the index, then write a new version made from what they read, so two at once would lose one's change (a delete's
/// tombstones overwritten by an add that read the rows before it, or written by row numbers of an index an add has
/// since replaced). A writer holds an exclusive lock on the hidden file <c>.lock-NAME</c> beside the folder, the real
/// folder with every link resolved (<see cref="RealPath"/>), so that writers naming one folder in different ways meet
/// at one lock (<c>flock</c> on Unix, taken by Skald itself and on another user's lock file opened for reading; a
/// sharing lock on Windows) from its first read to its last rename; the lock goes with the
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

    /// <summary><c>LOCK_EX</c>, the same on Linux, the BSDs and macOS.</summary>
    private const int LockExclusive = 2;

    /// <summary><c>LOCK_NB</c>, the same on Linux, the BSDs and macOS.</summary>
    private const int LockNonBlocking = 4;

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

    /// <summary>
    /// One turn per lock file among this process's writers: a writer waits here for another thread's write of the same
    /// index to end (an app adding documents from several requests at once), while a writer of another process is
    /// refused as before; <see cref="TakeNow"/> (a search's clean-up) never waits.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Turns = new(StringComparer.Ordinal);

    private readonly FileStream file;
    private readonly string path;
    private readonly bool remove;
    private readonly SemaphoreSlim? turn;

    private IndexWriteLock(FileStream file, string path, bool remove, SemaphoreSlim? turn)
    {
        this.file = file;
        this.path = path;
        this.remove = remove;
        this.turn = turn;
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
        string full = RealPath.Of(folder); // one lock however the folder is named: through a link, with "..", relative
        return Path.Combine(Path.GetDirectoryName(full) ?? full, ".lock-" + Path.GetFileName(full));
    }

    /// <summary>
    /// Takes the lock of the index in <paramref name="folder"/>, or throws <see cref="EvaluationException"/> saying
    /// another process's writer holds it (no waiting beyond a quarter of a second, the moment a search's clean-up may
    /// hold it: an <c>index add</c> may embed for minutes). A writer on another thread of this process is waited for
    /// instead, writers of one process taking turns (<paramref name="cancellationToken"/> ends the wait with
    /// <see cref="OperationCanceledException"/>); the thread that holds the lock is refused as another process is. A missing parent folder is left
    /// to the caller's own check (no lock is needed where no index can be written); a lock file this user may not open
    /// or create, a read-only file system, a link loop at the lock file's name, any other failure to open it, or a file
    /// system that gives no locks, is an <see cref="EvaluationException"/> of one line naming the folder, the lock file
    /// and the cause: no write goes ahead unlocked, and none of these is called another writer.
    /// </summary>
    public static IndexWriteLock? Take(string folder, CancellationToken cancellationToken = default) => Take(folder, Open, Grace, cancellationToken);

    /// <summary>
    /// <see cref="Take(string, CancellationToken)"/> without trying again when it is held: for a search's clean-up, which leaves the
    /// leftovers to a running writer rather than wait for it.
    /// </summary>
    public static IndexWriteLock? TakeNow(string folder) => Take(folder, Open, TimeSpan.Zero, default);

    /// <summary>
    /// <see cref="Take(string, CancellationToken)"/> with the lock file opened (and locked) by <paramref name="open"/>: for tests that
    /// hand it a file removed between its opening and its locking, as a writer ending at that moment removes it.
    /// </summary>
    internal static IndexWriteLock? Take(string folder, Func<string, FileStream> open) => Take(folder, open, Grace, default);

    private static IndexWriteLock? Take(string folder, Func<string, FileStream> open, TimeSpan grace, CancellationToken cancellationToken)
    {
        string path = PathOf(folder);
        if (!Directory.Exists(Path.GetDirectoryName(path))) return null;
        // another thread of this process writing this index: wait for its turn to end (the holding thread itself, which
        // would wait for ever, and a search's clean-up, which must not wait, go straight to the file lock)
        SemaphoreSlim? turn = null;
        if (grace > TimeSpan.Zero && !(Held.TryGetValue(path, out int holder) && holder == Environment.CurrentManagedThreadId))
        {
            turn = Turns.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
            turn.Wait(cancellationToken);
        }
        try
        {
            return TakeFile(folder, path, open, grace, turn);
        }
        catch
        {
            turn?.Release();
            throw;
        }
    }

    /// <summary>Opens and locks the lock file at <paramref name="path"/> (the loop of <see cref="Take(string, CancellationToken)"/>); the lock keeps <paramref name="turn"/>.</summary>
    private static IndexWriteLock TakeFile(string folder, string path, Func<string, FileStream> open, TimeSpan grace, SemaphoreSlim? turn)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            FileStream? file;
            try
            {
                file = open(path);
            }
            catch (UnauthorizedAccessException)
            {
                throw new EvaluationException(File.Exists(path)
                    ? $"{folder}: cannot open the index's write lock {path} (permission denied), and an index is never written unlocked: let this user read that file, or remove it while no skald is writing"
                    : $"{folder}: cannot create the index's write lock {path} (permission denied), and an index is never written unlocked: let this user write in {Path.GetDirectoryName(path)}");
            }
            catch (IOException e) when (!LockHeld(e))
            {
                throw new EvaluationException($"{folder}: {OpenFailure(e, path)}, and an index is never written unlocked");
            }
            catch (IOException)
            {
                file = null; // locked by .NET's own open: another writer holds it
            }
            if (file is not null && OperatingSystem.IsWindows()) return new IndexWriteLock(file, path, remove: false, turn); // delete-on-close removes it
            if (file is null || !Flock(file, folder, path))
            {
                if (waited.Elapsed >= grace) break;
                Thread.Sleep(10);
                continue;
            }
            switch (Names(file, path))
            {
                case true:
                    return new IndexWriteLock(file, path, remove: true, turn);
                case null:
                    return new IndexWriteLock(file, path, remove: false, turn); // cannot tell: keep the file, as before
                default:
                    file.Dispose(); // the writer before removed the file we locked: lock the one at the path now
                    break;
            }
        }
        throw new EvaluationException($"{folder}: another skald is writing this index (index build, add, reindex or delete; lock {path}); run again when it has ended");
    }

    /// <summary>
    /// Whether <paramref name="e"/>, thrown by opening the lock file, says another process holds its lock: .NET's own
    /// <c>flock</c> at an unshared open failing with <c>EWOULDBLOCK</c> (the errno is the exception's HResult on Unix),
    /// or a sharing or lock violation on Windows. Any other failure is not a writer and is named (<see cref="OpenFailure"/>).
    /// </summary>
    internal static bool LockHeld(IOException e) => OperatingSystem.IsWindows()
        ? (e.HResult & 0xFFFF) is 32 or 33 // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
        : e.HResult == (OperatingSystem.IsLinux() ? 11 : 35); // EWOULDBLOCK: Linux's, else the BSDs' and macOS's

    /// <summary>
    /// Why the lock file at <paramref name="path"/> could not be opened, in words: a read-only file system
    /// (<c>EROFS</c>), a loop of symbolic links or too many of them (<c>ELOOP</c>), else the system's own message.
    /// </summary>
    private static string OpenFailure(IOException e, string path)
    {
        int code = OperatingSystem.IsWindows() ? e.HResult & 0xFFFF : e.HResult;
        if (!OperatingSystem.IsWindows() && code == 30 || OperatingSystem.IsWindows() && code == 19) // EROFS; ERROR_WRITE_PROTECT
            return $"cannot create or open the index's write lock {path}: the file system is read-only";
        if (!OperatingSystem.IsWindows() && code == (OperatingSystem.IsLinux() ? 40 : 62)) // ELOOP: Linux's, else the BSDs' and macOS's
            return $"cannot open the index's write lock {path}: too many levels of symbolic links (a link loop at that name?)";
        return $"cannot open the index's write lock {path} ({e.Message.TrimEnd('.')})";
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
        turn?.Release(); // the next writer of this process, after the file's lock is let go
    }

    /// <summary>
    /// Opens (or creates) the lock file to lock it. Another user's lock file (left by a writer of theirs, mode 0644)
    /// cannot be opened for writing: on Unix it is opened for reading then, since <c>flock</c> needs no more. Where it
    /// cannot be opened at all, <see cref="UnauthorizedAccessException"/> goes to <see cref="Take(string, Func{string, FileStream}, TimeSpan, CancellationToken)"/>, which refuses the write.
    /// </summary>
    private static FileStream Open(string path)
    {
        try
        {
            return new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1,
                OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None);
        }
        catch (UnauthorizedAccessException) when (!OperatingSystem.IsWindows() && File.Exists(path))
        {
            return new(path, FileMode.Open, FileAccess.Read, FileShare.None, 1);
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> names the file <paramref name="file"/> has open: true, false (removed, or another
    /// file there now), or null when it cannot be told (no <c>stat</c> to call; <see cref="FileIdentity"/>), so that a
    /// system with only glibc's older calls removes its lock files too and never trusts one that a newer one removed.
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
        if (FileIdentity.OfOpen((int)file.SafeFileHandle.DangerousGetHandle(), legacy) is not { } open) return null;
        return FileIdentity.OfPath(path, legacy) == open; // null: no file at the path any more
    }

    /// <summary>
    /// Takes the exclusive <c>flock</c> of <paramref name="file"/> itself, without waiting: true when taken (or when
    /// there is no <c>flock</c> to call), false when another process holds it. .NET takes the same lock when it opens a
    /// file unshared, unless <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> turns its locks off; this one is taken all the
    /// same, so such a setting cannot let two writers in. Any other failure (a file system without locks) is the
    /// <see cref="EvaluationException"/> naming the lock file: an index is never written unlocked.
    /// </summary>
    private static bool Flock(FileStream file, string folder, string path)
    {
        int result;
        try
        {
            result = Flock((int)file.SafeFileHandle.DangerousGetHandle(), LockExclusive | LockNonBlocking);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return true; // no flock here: .NET's own lock is all there is
        }
        if (result == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        file.Dispose();
        if (errno == (OperatingSystem.IsLinux() ? 11 : 35)) return false; // EWOULDBLOCK: Linux's, else the BSDs' and macOS's
        throw new EvaluationException($"{folder}: cannot lock the index's write lock {path} (flock: {Marshal.GetPInvokeErrorMessage(errno)}), and an index is never written unlocked; a network file system needs its lock service");
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
