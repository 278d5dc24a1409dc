using System.Diagnostics;

namespace Skald.Models.Checkpoints;

/// <summary>
/// The one naming scheme of atomic writes: a file or folder is written as a hidden sibling <c>.tmp-NAME-PID</c> and
/// renamed into place (a folder being replaced is first moved aside to <c>.old-NAME-PID</c>), so a reader never sees
/// half an output. A writer killed mid-way leaves those siblings behind; <see cref="Recover(string)"/>, called before the next
/// write of the same target, removes them (and puts an old copy back when the kill came between the two renames).
/// </summary>
public static class StagingPaths
{
    /// <summary>The temporary sibling this process writes <paramref name="target"/> through.</summary>
    public static string Temp(string target) => Sibling(target, "tmp", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Where this process moves an existing folder <paramref name="target"/> while replacing it.</summary>
    public static string Old(string target) => Sibling(target, "old", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Cleans up after writers of <paramref name="target"/> that are no longer running: their temporary siblings are
    /// deleted; a folder they had moved aside is put back when the target is missing, else deleted. Siblings of a
    /// running process (a concurrent writer) are left alone.
    /// </summary>
    public static void Recover(string target) => Recover(target, writersGone: false);

    /// <summary>
    /// <see cref="Recover(string)"/>, told by the caller whether every writer of <paramref name="target"/> is known to
    /// have ended (<paramref name="writersGone"/>: it holds the writers' own lock, say), so that every sibling is a
    /// dead writer's whatever process now has the number in its name (process ids are reused); else the siblings
    /// whose process id is running are left alone.
    /// </summary>
    public static void Recover(string target, bool writersGone)
    {
        string full = Path.GetFullPath(target);
        string? parent = Path.GetDirectoryName(full);
        if (parent is null || !Directory.Exists(parent)) return;
        string name = Path.GetFileName(full);
        foreach (string kind in new[] { "old", "tmp" })
        {
            string prefix = $".{kind}-{name}-";
            foreach (var path in Directory.EnumerateFileSystemEntries(parent, prefix + "*"))
            {
                if (!writersGone && !IsDeadWriter(Path.GetFileName(path)[prefix.Length..])) continue;
                bool isDir = Directory.Exists(path);
                if (kind == "old" && isDir && !Directory.Exists(full) && !File.Exists(full))
                {
                    Directory.Move(path, full); // killed between moving the old copy aside and moving the new one in
                    continue;
                }
                if (isDir) Directory.Delete(path, recursive: true);
                else File.Delete(path);
            }
        }
    }

    /// <summary>Whether <paramref name="target"/> has staging siblings (<c>.tmp-NAME-…</c>, <c>.old-NAME-…</c>) of any writer, running or not.</summary>
    public static bool HasSiblings(string target)
    {
        string full = Path.GetFullPath(target);
        string? parent = Path.GetDirectoryName(full);
        if (parent is null || !Directory.Exists(parent)) return false;
        string name = Path.GetFileName(full);
        return Directory.EnumerateFileSystemEntries(parent, $".old-{name}-*").Any() || Directory.EnumerateFileSystemEntries(parent, $".tmp-{name}-*").Any();
    }

    /// <summary>
    /// Writes the folder <paramref name="target"/> atomically: <paramref name="fill"/> fills a temporary sibling, which
    /// then replaces <paramref name="target"/> (an existing one is moved aside first and deleted after), so a reader
    /// sees the old folder or the new one, never half of one. Leftovers of killed writers are cleaned up first
    /// (<see cref="Recover(string)"/>); the parent folder is created.
    /// </summary>
    public static void ReplaceFolder(string target, Action<string> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        string full = Path.GetFullPath(target);
        string parent = Path.GetDirectoryName(full) ?? throw new ArgumentException("cannot write a root folder", nameof(target));
        Directory.CreateDirectory(parent);
        Recover(full);
        string tmp = Temp(full), old = Old(full);
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(tmp, full);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
    }

    /// <summary>
    /// Why <see cref="ReplaceFolder"/> must not write <paramref name="folder"/>, or null when it may: its parent missing,
    /// a file in its place, or a folder holding something else than an earlier output of this kind (no
    /// <paramref name="marker"/> file in it), which the write would replace. <paramref name="kind"/> names such an
    /// output in the message ("an index folder"). Commands ask before they do any work; callers throw their own type.
    /// </summary>
    public static string? FolderProblem(string folder, string marker, string kind)
    {
        string full = Path.GetFullPath(folder);
        string parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) return $"{folder}: parent folder {parent} does not exist";
        if (File.Exists(full)) return $"{folder}: is a file, expected {kind}";
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !File.Exists(Path.Combine(full, marker)))
            return $"{folder}: exists and is not {kind} (no {marker}); choose an empty or new folder";
        return null;
    }

    /// <summary>
    /// Whether <paramref name="relativePath"/> (inside a folder being copied) lies in a staging sibling of this scheme,
    /// <c>.tmp-…</c> or <c>.old-…</c>: a copy skips them, so that an output written inside the folder it copies (its
    /// staging folder is one of these) or a killed writer's leftovers are not copied with it.
    /// </summary>
    public static bool IsStaging(string relativePath) =>
        (relativePath ?? throw new ArgumentNullException(nameof(relativePath))).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
            .Any(part => part.StartsWith(".tmp-", StringComparison.Ordinal) || part.StartsWith(".old-", StringComparison.Ordinal));

    private static string Sibling(string target, string kind, string tag)
    {
        string full = Path.GetFullPath(target);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{kind}-{Path.GetFileName(full)}-{tag}");
    }

    /// <summary>Whether the tag (PID, maybe followed by "-…") names a process that is not running.</summary>
    private static bool IsDeadWriter(string tag)
    {
        int end = 0;
        while (end < tag.Length && char.IsAsciiDigit(tag[end])) end++;
        if (end == 0 || !int.TryParse(tag.AsSpan(0, end), out int pid)) return false;
        if (pid == Environment.ProcessId) return true; // an earlier write of ours that failed
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
