using System.Security.Cryptography;
using System.Text;

namespace Skald.Hub;

/// <summary>
/// One local file of an upload with what the hub asks about it (huggingface_hub's UploadInfo): its size, its first
/// 512 bytes (the preupload sample), its sha256 (a large file's LFS oid) and its git blob id (a regular file's oid), both
/// lower-case hex, read in one pass.
/// </summary>
internal sealed record UploadFile(string PathInRepo, string FullPath, long Size, byte[] Sample, string Sha256, string GitSha1)
{
    /// <summary>
    /// Reads <paramref name="fullPath"/> once for its sample and both hashes. With <paramref name="hashes"/> (a record
    /// file, <see cref="VerifiedBlobs"/>), the hashes recorded there are taken while the file keeps its size and time,
    /// and hashes computed are recorded: a large folder's upload run again does not read every file again.
    /// </summary>
    public static UploadFile Read(string pathInRepo, string fullPath, string? hashes = null)
    {
        if (hashes is not null && VerifiedBlobs.Note(hashes, fullPath)?.Split(' ') is [{ Length: 64 } sha256, { Length: 40 } sha1])
        {
            using var head = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            var sample = new byte[Math.Min(512, head.Length)];
            head.ReadExactly(sample);
            return new UploadFile(pathInRepo, fullPath, head.Length, sample, sha256, sha1);
        }
        string before = VerifiedBlobs.Stamp(fullPath);
        var read = Hash(pathInRepo, fullPath);
        if (hashes is not null && VerifiedBlobs.Stamp(fullPath) == before) VerifiedBlobs.Record(hashes, fullPath, $"{read.Sha256} {read.GitSha1}");
        return read;
    }

    private static UploadFile Hash(string pathInRepo, string fullPath)
    {
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        long size = stream.Length;
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes(FormattableString.Invariant($"blob {size}\0")));
        var buffer = new byte[1 << 20];
        byte[]? sample = null;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            sample ??= buffer[..Math.Min(n, 512)];
            sha256.AppendData(buffer, 0, n);
            sha1.AppendData(buffer, 0, n);
        }
        if (sample is not null && sample.Length < 512 && size > sample.Length)
        {
            stream.Seek(0, SeekOrigin.Begin); // a short first read: take the sample again
            sample = new byte[Math.Min(512, size)];
            stream.ReadExactly(sample);
        }
        return new UploadFile(pathInRepo, fullPath, size, sample ?? [], Convert.ToHexStringLower(sha256.GetHashAndReset()),
            Convert.ToHexStringLower(sha1.GetHashAndReset()));
    }
}
