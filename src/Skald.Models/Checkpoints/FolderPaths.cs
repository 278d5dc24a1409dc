namespace Skald.Models.Checkpoints;

/// <summary>
/// Paths read from a model folder stay in it. A relative path from one of its files (a modules.json module path, a
/// shard of the index) must not climb out; a symbolic link inside it may point outside only into the Hugging Face cache
/// repository that holds the folder (a hub snapshot's files are links to <c>../../blobs/…</c>), never elsewhere; and a
/// weights file must be a regular file (a link to a device such as /dev/zero is refused).
/// </summary>
public static class FolderPaths
{
    /// <summary>
    /// <paramref name="relative"/> (read at <paramref name="source"/>, e.g. "modules.json: modules[2].path") inside
    /// <paramref name="folder"/>, checked; the full path.
    /// </summary>
    public static string Inside(string folder, string relative, string source)
    {
        string root = Path.GetFullPath(folder);
        string full = Path.GetFullPath(Path.Combine(root, relative));
        if (Path.IsPathRooted(relative) || !IsWithin(full, root))
            throw new ModelFormatException($"{source} points outside the model folder: {relative}");
        CheckLink(full, root, source);
        return full;
    }

    /// <summary>
    /// When <paramref name="path"/> is a symbolic link, its final target must lie in <paramref name="folder"/> or in the
    /// hub cache repository holding it.
    /// </summary>
    public static void CheckLink(string path, string folder, string source)
    {
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if (info.LinkTarget is null) return;
        string? target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        string root = Path.GetFullPath(folder);
        string allowed = HubRepository(root) ?? root;
        if (target is null || !IsWithin(Path.GetFullPath(target), allowed))
            throw new ModelFormatException($"{source}: {path} is a link to {target ?? "nothing"}, outside the model folder");
    }

    /// <summary>
    /// The length of a weights file, which must be a regular file (links followed): a device, pipe or folder is refused.
    /// </summary>
    public static long RegularFileLength(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target;
        bool regular = info.Exists && (info.Attributes & (FileAttributes.Device | FileAttributes.Directory)) == 0
            && !info.FullName.StartsWith("/dev/", StringComparison.Ordinal) && !info.FullName.StartsWith("/proc/", StringComparison.Ordinal);
        if (!regular) throw new ModelFormatException($"{path}: not a regular file ({info.FullName})");
        return info.Length;
    }

    /// <summary>The hub cache repository (<c>…/models--org--name</c>) of a snapshot folder, or null.</summary>
    private static string? HubRepository(string folder)
    {
        for (var d = new DirectoryInfo(folder); d?.Parent is { } parent; d = parent)
        {
            if (d.Name == "snapshots" && parent.Name.Contains("--", StringComparison.Ordinal)) return parent.FullName;
        }
        return null;
    }

    private static bool IsWithin(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
