namespace Skald.Retrieval.Index;

/// <summary>
/// A path's canonical form, as <c>realpath</c> gives it: absolute, every symbolic link along it resolved (a link's
/// target in turn), with no <c>.</c>, <c>..</c> or trailing separator. The part of a path that does not exist is kept as
/// written (no links in it to resolve). So a documents folder named through a link and by its real path is one folder,
/// and its files one set of documents (<see cref="DocumentRoot"/>).
/// </summary>
public static class RealPath
{
    /// <summary>Links followed along one path before giving up (Linux's MAXSYMLINKS): a loop is kept as written.</summary>
    private const int MaxLinks = 40;

    /// <summary>
    /// The canonical form of <paramref name="path"/> (made absolute against the current folder first, its own
    /// <c>..</c> taken as text, as every .NET file call takes it). A link's target is walked a name at a time from the
    /// link's folder, as the kernel walks it: a <c>..</c> in it leaves the real folder reached so far (a link met
    /// before it already followed), not the text before it.
    /// </summary>
    public static string Of(string path)
    {
        string full = Path.GetFullPath(path);
        string resolved = Path.GetPathRoot(full) ?? "";
        var pending = new Stack<string>(); // names still to walk, the next on top
        PushNames(pending, full[resolved.Length..]);
        int links = 0;
        while (pending.TryPop(out string? name))
        {
            if (name == ".") continue;
            if (name == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? resolved; // resolved holds no link: its parent is the kernel's ".."
                continue;
            }
            string next = Path.Join(resolved, name);
            if (LinkTarget(next) is { } target)
            {
                if (++links > MaxLinks) return Path.TrimEndingDirectorySeparator(full);
                if (Path.GetPathRoot(target) is { Length: > 0 } root && Path.IsPathFullyQualified(target))
                {
                    resolved = root;
                    target = target[root.Length..];
                }
                else if (Path.IsPathRooted(target))
                {
                    target = Path.GetFullPath(target, resolved); // Windows: rooted on the current drive
                    resolved = Path.GetPathRoot(target) ?? "";
                    target = target[resolved.Length..];
                }
                PushNames(pending, target); // a relative target is walked from the link's own folder
                continue;
            }
            if (!Path.Exists(next)) // the rest does not exist: nothing more to resolve, kept as written
                return Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Join([next, .. pending])));
            resolved = next;
        }
        return Path.TrimEndingDirectorySeparator(resolved);
    }

    /// <summary>Pushes the names of <paramref name="relative"/> on <paramref name="pending"/>, its first name on top.</summary>
    private static void PushNames(Stack<string> pending, string relative)
    {
        var names = relative.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        for (int i = names.Length - 1; i >= 0; i--) pending.Push(names[i]);
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
