using System.Globalization;

namespace Skald.Retrieval.Index;

/// <summary>
/// What tells one write of a file from the next without reading it: the file's identity (<see cref="FileIdentity"/>:
/// device and inode; none on Windows), its last status change (<c>ctime</c>, on Linux x86-64 and arm64), length and
/// last write time, as one string. A file replaced by another (written beside it and renamed over it, as an index
/// writer, a download or <c>rsync</c> replaces one) is another identity, so the replacement is seen even when its
/// length and time are the old ones (the time set back, or written within the same tick of the file system's clock, a
/// few milliseconds); a file rewritten in place keeps its identity but not its change time, which the kernel sets at
/// every write and no user can set back, so it is seen too with its old length and its time set back (elsewhere, macOS
/// and Windows, it is told by its length or time alone). What the change time cannot tell is a rewrite within the same
/// tick of the kernel's clock as the last look (a few milliseconds; Linux 6.13 and later stamp a change after a look
/// finer). <see cref="IndexGeneration"/> and <see cref="ModelFingerprint.Of"/>'s cache use it; <see cref="ModelFingerprint.Stamp"/>
/// uses its change time, length and time (not the identity).
/// </summary>
internal static class FileState
{
    /// <summary>
    /// The state of the file at <paramref name="path"/> (a link's: its final target's, the file read through it);
    /// <c>none</c> when there is no file there.
    /// </summary>
    public static string Of(string path)
    {
        var file = Target(path);
        if (!file.Exists) return "none";
        var status = FileIdentity.StatusOf(file.FullName);
        return string.Create(CultureInfo.InvariantCulture,
            $"{status?.Identity.ToString(CultureInfo.InvariantCulture) ?? "-"},{status?.Changed?.ToString(CultureInfo.InvariantCulture) ?? "-"},{file.Length},{file.LastWriteTimeUtc.Ticks}");
    }

    /// <summary>
    /// The file read through <paramref name="path"/>: a symbolic link's final target (as a hub snapshot's files link to
    /// its blobs), else the file itself.
    /// </summary>
    public static FileInfo Target(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
    }
}
