using System.Runtime.InteropServices;

namespace Skald.Retrieval.Index;

/// <summary>
/// What makes an index write survive a power cut, not just a killed process: a file's bytes flushed to the disk
/// before it is renamed, and a folder's entries (the new names a write made, a rename) flushed after. A killed
/// process needs neither (the kernel keeps what it wrote); a machine that loses power keeps only what was flushed.
/// </summary>
internal static partial class DurableFiles
{
    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to a new file <paramref name="path"/> and flushes it to the disk.</summary>
    public static void WriteText(string path, string text)
    {
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        fs.Write(new System.Text.UTF8Encoding(false).GetBytes(text));
        fs.Flush(true);
    }

    /// <summary>
    /// Flushes the entries of <paramref name="folder"/> to the disk (<c>fsync</c> of the folder, on Linux and macOS);
    /// on Windows, where a folder cannot be opened so and NTFS journals its renames, nothing. A failure is ignored: the
    /// write itself is done, only its durability across a power cut is at stake.
    /// </summary>
    public static void SyncFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            int fd = Open(folder, 0); // O_RDONLY
            if (fd < 0) return;
            Fsync(fd);
            Close(fd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
