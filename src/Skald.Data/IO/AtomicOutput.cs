namespace Skald.Data.IO;

/// <summary>
/// Output that is never seen half-written: a file is written to a temporary sibling and renamed; a folder is built as
/// a temporary sibling and moved into place, so an interrupted run leaves no output that looks complete (the one
/// staging scheme of <see cref="Skald.Models.Checkpoints.StagingPaths"/>, which also cleans up after a killed run).
/// </summary>
public static class AtomicOutput
{
    /// <summary>
    /// Writes <paramref name="path"/> through a temporary sibling and a rename; a device or a pipe (<c>/dev/null</c>,
    /// <c>/dev/stdout</c>, a named pipe) is written straight into, never replaced (<see cref="StreamTarget"/>).
    /// </summary>
    public static void WriteFile(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DataException($"{path}: output folder {dir} does not exist");
        if (StreamTarget.OpenIfNotRegular(full) is { } direct)
        {
            using (direct) write(direct);
            return;
        }
        Skald.Models.Checkpoints.StagingPaths.Recover(full);
        string tmp = Skald.Models.Checkpoints.StagingPaths.Temp(full);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
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

    /// <summary>
    /// Checks, before any work, that <see cref="WriteFolder"/> may write <paramref name="folder"/>; returns its full path.
    /// </summary>
    public static string CheckFolder(string folder, string marker)
    {
        if (Skald.Models.Checkpoints.StagingPaths.FolderProblem(folder, marker, "an earlier output") is { } problem) throw new DataException(problem);
        return Path.GetFullPath(folder);
    }

    /// <summary>
    /// Fills a temporary sibling of <paramref name="folder"/> with <paramref name="fill"/> and moves it into place. An
    /// existing folder is replaced only when it is empty or holds <paramref name="marker"/> (an earlier output).
    /// </summary>
    public static void WriteFolder(string folder, string marker, Action<string> fill)
    {
        Skald.Models.Checkpoints.StagingPaths.ReplaceFolder(CheckFolder(folder, marker), fill);
    }
}
