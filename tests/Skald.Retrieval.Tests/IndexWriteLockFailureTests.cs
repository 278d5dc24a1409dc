using Skald.Retrieval.Index;
using Xunit.Abstractions;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="IndexWriteLock.Take(string, CancellationToken)"/> tells a lock file it cannot open from one another writer holds: a link
/// loop at the lock file's name, a read-only file system and a folder this user may not write in are each one line
/// naming the folder and the cause, never "another skald is writing"; a lock held by another open still is that.
/// </summary>
public sealed class IndexWriteLockFailureTests(ITestOutputHelper output)
{
    private const string Busy = "another skald is writing this index";

    [Fact]
    public void ALinkLoopAtTheLockFilesNameIsNamedNotCalledAWriter()
    {
        if (OperatingSystem.IsWindows()) return; // links there need rights the tests may not have
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-lock").FullName, "idx");
        Directory.CreateDirectory(folder);
        File.CreateSymbolicLink(IndexWriteLock.PathOf(folder), ".lock-idx"); // the name links to itself
        string message = Assert.Throws<EvaluationException>(() => IndexWriteLock.Take(folder)).Message;
        Assert.DoesNotContain(Busy, message);
        Assert.StartsWith(folder + ": ", message);
        Assert.Contains("too many levels of symbolic links", message);
        Assert.DoesNotContain('\n', message);
    }

    /// <summary>
    /// A folder on a read-only file system: creating the lock file fails with <c>EROFS</c>. Tests cannot mount one, so
    /// this runs where <c>SKALD_TEST_READONLY_DIR</c> names a folder on one (a read-only bind or tmpfs mount).
    /// </summary>
    [Fact]
    public void AReadOnlyFileSystemIsNamedNotCalledAWriter()
    {
        string? readOnly = Environment.GetEnvironmentVariable("SKALD_TEST_READONLY_DIR");
        if (readOnly is null || !Directory.Exists(readOnly))
        {
            output.WriteLine("NOT RUN: set SKALD_TEST_READONLY_DIR to a folder on a read-only file system");
            return;
        }
        string folder = Path.Combine(readOnly, "idx");
        string message = Assert.Throws<EvaluationException>(() => IndexWriteLock.Take(folder)).Message;
        Assert.DoesNotContain(Busy, message);
        Assert.StartsWith(folder + ": ", message);
        Assert.Contains("the file system is read-only", message);
    }

    /// <summary>
    /// A lock file that does not exist in a folder this user may not write in is "cannot create … permission denied",
    /// naming the folder to fix. Root writes anywhere, so as root the system's refusal is stood in for by the exception
    /// .NET throws for <c>EACCES</c>.
    /// </summary>
    [Fact]
    public void AFolderThisUserMayNotWriteInIsNamedNotCalledAWriter()
    {
        string top = Directory.CreateTempSubdirectory("skald-lock").FullName;
        string folder = Path.Combine(top, "idx");
        Directory.CreateDirectory(folder);
        string message;
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            message = Assert.Throws<EvaluationException>(() => IndexWriteLock.Take(folder, _ => throw new UnauthorizedAccessException("denied"))).Message;
        }
        else
        {
            File.SetUnixFileMode(top, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            try
            {
                message = Assert.Throws<EvaluationException>(() => IndexWriteLock.Take(folder)).Message;
            }
            finally
            {
                File.SetUnixFileMode(top, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        Assert.DoesNotContain(Busy, message);
        Assert.StartsWith(folder + ": cannot create the index's write lock", message);
        Assert.Contains("permission denied", message);
        Assert.Contains($"let this user write in {top}", message);
    }

    /// <summary>The exception .NET throws for a lock file another open holds unshared is the one taken for a writer.</summary>
    [Fact]
    public void OnlyALockHeldByAnotherOpenIsAWriter()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("skald-lock").FullName, ".lock-idx");
        using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            Assert.True(IndexWriteLock.LockHeld(Assert.ThrowsAny<IOException>(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))));
        Assert.False(IndexWriteLock.LockHeld(new IOException("some other failure")));
    }
}
