namespace Skald.Hub;

/// <summary>
/// Remembers which cached blobs were checked against their names, so a resolve does not hash an unchanged multi-GB blob
/// again: after a check passes, the blob's size and modification time are written to
/// <c>{cache}/.locks/{repo-folder}/{etag}.verified</c> (beside the blob's lock, where huggingface_hub's cache scan does
/// not look); a later resolve hashes the blob only when that record is missing or no longer matches. A blob rewritten
/// or truncated changes its size or time and is hashed again; damage that keeps both (bit rot under an unchanged time
/// stamp) is not noticed until the record is removed.
/// </summary>
internal static class VerifiedBlobs
{
    /// <summary>True when <paramref name="blob"/> was checked and has not changed since.</summary>
    public static bool IsVerified(string record, string blob)
    {
        try
        {
            return File.Exists(record) && File.ReadAllText(record) == Stamp(blob);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Records that <paramref name="blob"/> matched its name (best effort: a read-only cache is hashed each time).</summary>
    public static void Record(string record, string blob)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(record)!);
            string tmp = $"{record}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(tmp, Stamp(blob));
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

    private static string Stamp(string blob)
    {
        var info = new FileInfo(blob);
        return $"{info.Length} {info.LastWriteTimeUtc.Ticks}";
    }
}
