using Skald.Data.Ingest.Readers;
using Skald.Retrieval.Index;

namespace Skald.Data.Indexing;

/// <summary><see cref="DocumentIndex"/>'s record of files that could not be read (<see cref="IndexManifest.Unreadable"/>).</summary>
public static partial class DocumentIndex
{
    /// <summary>
    /// The record of a file that could not be read: its <paramref name="source"/> as rows name theirs, the hash of its
    /// bytes when its reader failed on them (null when it could not be opened), its stamp when one was taken and trusted, and why.
    /// </summary>
    private static UnreadableFile Unreadable(string source, string? sha256, FileStamp? stamp, string reason) =>
        new(source, sha256, stamp is { Trusted: true } s ? s.Size : null, stamp?.Modified, reason);

    /// <summary>
    /// Whether the text-less <paramref name="entry"/> of <paramref name="file"/> was recorded by an earlier Skald, which
    /// took a file its reader failed on for one without text (<see cref="TextlessFile.FailuresApart"/> false), so that
    /// a sync reads it once more; not an image's, whose reader's failures are text-less still (OCR's reach).
    /// </summary>
    private static bool MayBeUnreadable(TextlessFile entry, string file) =>
        !entry.FailuresApart && !ImageReader.Extensions.Contains(Path.GetExtension(file));

    /// <summary>The stamp of <paramref name="file"/> now; null when it cannot be taken (the file gone meanwhile).</summary>
    private static FileStamp? StampOf(string file)
    {
        try
        {
            return FileStamp.Of(file, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether a sync may skip <paramref name="file"/>, recorded as <paramref name="entry"/>, by its stamp taken now: the
    /// stamp is the recorded one, and the file's bytes were read (its reader failed on them: the same bytes fail again)
    /// or it still cannot be opened (a permission given back changes no stamp, so opening is tried).
    /// </summary>
    private static bool StillUnreadable(UnreadableFile entry, string file, FileStamp stamp)
    {
        if (!stamp.Matches(entry)) return false;
        if (entry.Sha256 is not null) return true;
        try
        {
            using var opened = File.OpenRead(file);
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}
