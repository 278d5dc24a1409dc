using Skald.Data.IO;
using Skald.Models.Checkpoints;

namespace Skald.Cli.IO;

/// <summary>Writes a file through a temporary sibling and a rename, so a reader never sees half a file.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Fails now, with the line <see cref="Write"/> would give at the end, when <paramref name="path"/> cannot be written
    /// (its folder missing, a folder in its place, no right to create files there): for commands that work a long
    /// while before they write. Nothing is left behind.
    /// </summary>
    public static void CheckWritable(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new InputException($"{path}: is a folder; name a file to write");
        CheckFolder(path, full);
        if (StreamTarget.IsSystemDevice(full)) return; // /dev/null, /dev/stdout: written into, nothing staged beside them
        string probe = StagingPaths.Temp(full);
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: cannot write there ({e.Message.Replace(probe, path)})");
        }
    }

    private static void CheckFolder(string path, string full)
    {
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && File.Exists(dir)) throw new InputException($"{path}: {dir} is a file, not a folder");
        if (dir is not null && !Directory.Exists(dir)) throw new InputException($"{path}: output folder {dir} does not exist");
    }

    /// <summary>
    /// Writes <paramref name="path"/> through a temporary sibling: <paramref name="write"/> fills it, a rename puts it in
    /// place. A device or a pipe (<c>/dev/null</c>, <c>/dev/stdout</c>, a named pipe) is written straight into, never
    /// replaced by a regular file (<see cref="StreamTarget"/>).
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new InputException($"{path}: is a folder; name a file to write");
        CheckFolder(path, full);
        if (StreamTarget.OpenIfNotRegular(full) is { } direct)
        {
            using (direct) write(direct);
            return;
        }
        StagingPaths.Recover(full);
        string tmp = StagingPaths.Temp(full);
        try
        {
            FileStream fs;
            try
            {
                fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException($"{path}: cannot write there ({e.Message.Replace(tmp, path)})");
            }
            using (fs)
            {
                write(fs);
                fs.Flush(true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
