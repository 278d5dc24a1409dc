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

    /// <summary>The canonical form of <paramref name="path"/> (made absolute against the current folder first).</summary>
    public static string Of(string path)
    {
        string full = Path.GetFullPath(path);
        for (int links = 0; links <= MaxLinks; links++)
        {
            string? target = null;
            string resolved = Path.GetPathRoot(full) ?? "";
            var parts = full[resolved.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            int i = 0;
            for (; i < parts.Length; i++)
            {
                string next = Path.Join(resolved, parts[i]);
                if (LinkTarget(next) is { } link)
                {
                    target = Path.GetFullPath(link, resolved); // a relative target is taken from the link's folder
                    break;
                }
                if (!Path.Exists(next)) break; // the rest does not exist: nothing more to resolve
                resolved = next;
            }
            if (target is null) return Path.TrimEndingDirectorySeparator(i == parts.Length ? resolved : Path.Join([resolved, .. parts[i..]]));
            full = Path.GetFullPath(Path.Join([target, .. parts[(i + 1)..]])); // resolve again from the top: the target may hold links
        }
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
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
