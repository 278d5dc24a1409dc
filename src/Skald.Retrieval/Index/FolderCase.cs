namespace Skald.Retrieval.Index;

/// <summary>
/// Whether the file system holding a folder ignores the case of names, found by asking it: a name in the folder looked
/// up with its letters' case swapped (<c>Ferie.md</c> as <c>fERIE.MD</c>) is found on a volume that ignores case and
/// not on one that keeps it (unless a second entry has that very name, which only a case-keeping volume allows). A
/// folder with no name holding a letter gets a hidden probe file, removed at once; one left by a process killed in
/// that moment is removed by the next probe that lists it (a live probe is never older than <see cref="StaleAfter"/>).
/// One directory listing and a lookup or two: asked once per folder and process (<see cref="IgnoresCase"/>), never per path.
/// </summary>
internal static class FolderCase
{
    /// <summary>Names looked at before the probe file is tried.</summary>
    private const int Names = 64;

    /// <summary>The probe file's name, before a random part.</summary>
    private const string ProbePrefix = ".skald-case-";

    /// <summary>How old a probe file must be to be taken for a killed prober's leftover.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    /// <summary>A listing that matches its pattern case by case on every system (the default follows the system, not the volume).</summary>
    private static readonly EnumerationOptions Exact = new() { MatchCasing = MatchCasing.CaseSensitive, AttributesToSkip = 0 };

    /// <summary>Folders whose answer is remembered before the memory starts afresh (a long-running server's bound).</summary>
    private const int Remembered = 1024;

    /// <summary>Answers found, by folder, with the folder's identity when they were found (<see cref="FileIdentity"/>).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (UInt128? Identity, bool Ignores)> Known = new(StringComparer.Ordinal);

    /// <summary>A test hook: called with the folder each time it is probed (listed, or the probe file written).</summary>
    internal static event Action<string>? Probing;

    /// <summary>
    /// Whether the volume holding <paramref name="folder"/> (or its nearest existing parent) ignores case; null when it
    /// cannot be told (nothing there exists, no name with a letter and no right to write the probe file). The answer is
    /// remembered for the process, per folder: asked again, the folder is probed again only when it is another one now
    /// (removed and made again, or another volume mounted there: its device and inode differ) or cannot be told apart
    /// (no <c>stat</c>), so a server's or a session's second <c>Add</c> does not list the documents root again.
    /// </summary>
    public static bool? IgnoresCase(string folder)
    {
        if (Existing(folder) is not { } dir) return null;
        UInt128? identity = FileIdentity.Of(dir);
        if (identity is not null && Known.TryGetValue(dir, out var known) && known.Identity == identity) return known.Ignores;
        bool? ignores = Probe(dir);
        if (ignores is { } answer && identity is not null)
        {
            if (Known.Count >= Remembered) Known.Clear();
            Known[dir] = (identity, answer);
        }
        return ignores;
    }

    /// <summary><see cref="IgnoresCase"/> asked of the folder itself, never remembered.</summary>
    internal static bool? Probe(string folder)
    {
        if (Existing(folder) is not { } dir) return null;
        Probing?.Invoke(dir);
        try
        {
            foreach (string name in Directory.EnumerateFileSystemEntries(dir).Take(Names).Select(p => Path.GetFileName(p)))
            {
                if (RemovedAsStale(dir, name)) continue;
                string other = Swapped(name);
                if (other == name) continue;
                if (Directory.EnumerateFileSystemEntries(dir, other, Exact).Any(p => Path.GetFileName(p) == other))
                    return false; // two names differing only in case: a case-keeping volume
                return Path.Exists(Path.Combine(dir, other));
            }
            string probe = Path.Combine(dir, $"{ProbePrefix}{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
                return File.Exists(Path.Combine(dir, Swapped(Path.GetFileName(probe))));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary><paramref name="folder"/> made full, or its nearest existing parent; null when none exists.</summary>
    private static string? Existing(string folder)
    {
        string? dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        while (dir is not null && !Directory.Exists(dir)) dir = Path.GetDirectoryName(dir);
        return dir;
    }

    /// <summary>Removes <paramref name="name"/> when it is a probe file left by a killed prober; says whether it did.</summary>
    private static bool RemovedAsStale(string dir, string name)
    {
        if (!name.StartsWith(ProbePrefix, StringComparison.Ordinal)) return false;
        string path = Path.Combine(dir, name);
        if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < StaleAfter) return false;
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // left for a prober with the right to remove it
        }
    }

    /// <summary><paramref name="name"/> with each letter's case swapped (invariant culture).</summary>
    private static string Swapped(string name) =>
        string.Create(name.Length, name, (span, n) =>
        {
            for (int i = 0; i < n.Length; i++)
                span[i] = char.IsUpper(n[i]) ? char.ToLowerInvariant(n[i]) : char.IsLower(n[i]) ? char.ToUpperInvariant(n[i]) : n[i];
        });
}
