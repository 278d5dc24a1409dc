namespace Skald.Hub;

/// <summary>
/// Remembers which cached blobs were checked against their names, so a resolve does not hash an unchanged multi-GB blob
/// again: after a check passes, the blob's size and modification time are written to
/// <c>{cache}/.locks/{repo-folder}/{etag}.verified</c> (beside the blob's lock, where huggingface_hub's cache scan does
/// not look); a later resolve hashes the blob only when that record is missing or no longer matches. A blob rewritten
/// or truncated changes its size or time and is hashed again; damage that keeps both (bit rot under an unchanged time
/// stamp) is not noticed until the record is removed. An upload in several commits keeps each file's hashes the same way
/// (<see cref="UploadFile.Read"/>), so a run resumed does not hash the folder again.
/// </summary>
internal static class VerifiedBlobs
{
    /// <summary>True when <paramref name="blob"/> was checked and has not changed since.</summary>
    public static bool IsVerified(string record, string blob) => Note(record, blob) is not null;

    /// <summary>
    /// The note <see cref="Record"/> wrote with <paramref name="file"/>'s size and time ("" for none) when the file has
    /// not changed since; null when there is no record or the file changed.
    /// </summary>
    public static string? Note(string record, string file)
    {
        try
        {
            if (!File.Exists(record)) return null;
            string text = File.ReadAllText(record);
            int end = text.IndexOf('\n', StringComparison.Ordinal);
            return (end < 0 ? text : text[..end]) == Stamp(file) ? (end < 0 ? "" : text[(end + 1)..]) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records that <paramref name="blob"/> matched its name, with an optional <paramref name="note"/> (what was computed
    /// from it; best effort: a read-only cache is hashed each time).
    /// </summary>
    public static void Record(string record, string blob, string note = "")
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(record)!);
            string tmp = $"{record}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(tmp, note.Length == 0 ? Stamp(blob) : Stamp(blob) + "\n" + note);
            File.Move(tmp, record, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Forgets a record (its blob was removed).</summary>
    public static void Forget(string record)
    {
        try
        {
            File.Delete(record);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>A file's size and modification time, as a record holds them.</summary>
    public static string Stamp(string blob)
    {
        var info = new FileInfo(blob);
        return $"{info.Length} {info.LastWriteTimeUtc.Ticks}";
    }
}
