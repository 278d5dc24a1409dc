namespace Skald.Tests;

/// <summary>
/// The files this test process holds open, as Linux shows them (/proc/self/fd): for tests that check a model releases
/// its files when disposed. Elsewhere <see cref="Visible"/> is false and such tests have nothing to look at.
/// </summary>
internal static class OpenFiles
{
    /// <summary>Whether the process's open files can be listed (Linux).</summary>
    public static bool Visible => Directory.Exists("/proc/self/fd");

    /// <summary>Open descriptors of this process on <paramref name="file"/> (compared by full path).</summary>
    public static int Count(string file)
    {
        string full = Path.GetFullPath(file);
        return Directory.GetFiles("/proc/self/fd").Count(fd =>
        {
            try { return new FileInfo(fd).LinkTarget == full; }
            catch (IOException) { return false; } // closed meanwhile
        });
    }
}
