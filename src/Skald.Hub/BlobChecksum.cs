using System.Security.Cryptography;
using System.Text;

namespace Skald.Hub;

/// <summary>
/// Checks a downloaded file against its ETag: an LFS file's ETag is the sha256 of its bytes (64 hex digits), a small
/// file's is its git blob id, sha1("blob {length}\0" + bytes) (40 hex digits). Other ETags are not checked.
/// </summary>
internal static class BlobChecksum
{
    /// <summary>Throws a <see cref="HubException"/> and deletes <paramref name="path"/> when its bytes do not match.</summary>
    public static void Verify(HubId id, HubFile file, string path)
    {
        if (Mismatch(path, file.Etag) is not { } actual) return;
        File.Delete(path);
        throw new HubException($"{id}: {file.Name} from {file.Location} is corrupt: its checksum is {actual}, the hub's ETag {file.Etag}; the download was removed, run again");
    }

    /// <summary>
    /// The checksum of the file at <paramref name="path"/> when it does not match <paramref name="etag"/> (a sha256 or git
    /// blob id, as a blob's name in the cache is), else null (also for an ETag of another form, which cannot be checked).
    /// </summary>
    public static string? Mismatch(string path, string etag)
    {
        string? actual = etag.Length switch
        {
            64 => Hex(Sha256(path)),
            40 => Hex(GitBlobId(path)),
            _ => null,
        };
        return actual is null || string.Equals(actual, etag, StringComparison.OrdinalIgnoreCase) ? null : actual;
    }

    private static byte[] Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return SHA256.HashData(stream);
    }

    private static byte[] GitBlobId(string path)
    {
        using var stream = File.OpenRead(path);
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {stream.Length}\0"));
        var buffer = new byte[1 << 20];
        for (int n; (n = stream.Read(buffer)) > 0;) sha1.AppendData(buffer, 0, n);
        return sha1.GetHashAndReset();
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);
}
