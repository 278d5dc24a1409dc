namespace Skald.Data.IO;

/// <summary>
/// Outputs that are not files to replace: a device (<c>/dev/null</c>, <c>/dev/stdout</c>, the <c>/dev/fd/N</c> of a
/// shell's process substitution) or a named pipe. Writing one through a temporary sibling and a rename would put a
/// regular file in its place (as root, <c>/dev/null</c> itself) or fail for want of rights in <c>/dev</c>, so such an
/// output is written straight into, as a shell redirection would.
/// </summary>
public static class StreamTarget
{
    /// <summary>
    /// Whether <paramref name="fullPath"/> is an existing entry of the system's device trees (<c>/dev</c>, except the
    /// regular files of <c>/dev/shm</c>, and <c>/proc</c>): known without opening it, so a check before long work never
    /// blocks on a pipe.
    /// </summary>
    public static bool IsSystemDevice(string fullPath) =>
        !OperatingSystem.IsWindows() && File.Exists(fullPath)
        && ((fullPath.StartsWith("/dev/", StringComparison.Ordinal) && !fullPath.StartsWith("/dev/shm/", StringComparison.Ordinal))
            || fullPath.StartsWith("/proc/", StringComparison.Ordinal));

    /// <summary>
    /// A stream appending to <paramref name="fullPath"/> when it is a device or a pipe (write into it; no staging,
    /// nothing to rename), or null when it is a regular file, a folder or missing. Opening a named pipe waits for its
    /// reader, as any writer of a pipe does.
    /// </summary>
    public static FileStream? OpenIfNotRegular(string fullPath)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(fullPath)) return null;
        bool device = IsSystemDevice(fullPath);
        FileStream stream;
        try
        {
            stream = new FileStream(fullPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (device) throw new DataException($"{fullPath}: cannot write there ({e.Message})");
            return null; // a regular file this process may not open: the staged write says why, or replaces it
        }
        if (device || !stream.CanSeek) return stream; // a pipe cannot seek; a regular file can
        stream.Dispose();
        return null;
    }
}
