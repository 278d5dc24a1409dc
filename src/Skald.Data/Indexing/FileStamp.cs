using System.Globalization;
using Skald.Retrieval.Index;

namespace Skald.Data.Indexing;

/// <summary>
/// A file's length and last write time as <see cref="DocumentIndex.Sync"/> compares them before it hashes the file, as
/// git's index and rsync's quick check do: a file whose length and time are the ones recorded beside its hash
/// (<see cref="IndexRecord.SourceSize"/>, <see cref="IndexRecord.SourceModified"/>) is taken as unchanged without being
/// read. A time closer than <see cref="Settle"/> to the moment it was taken is not recorded (<see cref="Modified"/>
/// null): a write in the same tick of the file system's clock (2 s on FAT) would leave it as it was, so such a file is
/// hashed at the next sync (git's "racily clean" entries).
/// </summary>
/// <param name="Size">The file's length in bytes.</param>
/// <param name="Modified">Its last write time, UTC, round-trip format (<c>O</c>); null when too recent to trust.</param>
internal readonly record struct FileStamp(long Size, string? Modified)
{
    /// <summary>How old a write time must be to be recorded: the coarsest clock of a common file system (FAT's 2 s).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    /// <summary>The stamp of <paramref name="file"/> taken at <paramref name="now"/> (UTC).</summary>
    public static FileStamp Of(string file, DateTime now)
    {
        var info = new FileInfo(file);
        var time = info.LastWriteTimeUtc;
        return new FileStamp(info.Length, now - time >= Settle ? time.ToString("O", CultureInfo.InvariantCulture) : null);
    }

    /// <summary>Whether the stamp is one to record (its time old enough).</summary>
    public bool Trusted => Modified is not null;

    /// <summary>Whether <paramref name="row"/> was read from the file as it is now, by the stamp recorded with it.</summary>
    public bool Matches(IndexRecord row) => Matches(row.SourceSize, row.SourceModified) && row.SourceSha256 is not null;

    /// <summary>Whether the text-less <paramref name="file"/> was read as it is now, by the stamp recorded with it.</summary>
    public bool Matches(TextlessFile file) => Matches(file.Size, file.Modified);

    /// <summary>Whether the unreadable <paramref name="file"/> is as it was when its read failed, by the stamp recorded with it.</summary>
    public bool Matches(UnreadableFile file) => Matches(file.Size, file.Modified);

    private bool Matches(long? size, string? modified) => Modified is not null && modified == Modified && size == Size;
}
