using System.Globalization;
using System.Security.Cryptography;
using System.IO.Enumeration;
using System.Text;

namespace Skald.Cli.IO;

/// <summary>
/// Short identities of what a generation run reads, for its resume journal's header (<see cref="GenerateJournal"/>):
/// a file's content hash, and a model or adapter folder's; and of a pipeline stage's data files and folders.
/// </summary>
internal static class RunFingerprint
{
    /// <summary>The SHA-256 of <paramref name="path"/>'s bytes, as hex.</summary>
    public static string OfFile(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>
    /// A model or adapter folder's identity: over its top-level files in name order, the content of the small ones that
    /// define it (<c>*.json</c>: config, generation config, tokenizer, adapter config, shard index; <c>*.jinja</c>: a chat
    /// template) and the name, size and modification time of its weights (<c>*.safetensors</c>, <c>*.bin</c>), which
    /// are too large to read on every start. Other files (an output written into the folder, say) are left out.
    /// </summary>
    public static string OfFolder(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file), ext = Path.GetExtension(file);
            var info = new FileInfo(file);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target; // a hub snapshot links to its blobs
            if (ext is ".json" or ".jinja")
            {
                hash.AppendData(Encoding.UTF8.GetBytes($"{name}\n"));
                hash.AppendData(File.ReadAllBytes(file));
                hash.AppendData("\n"u8);
            }
            else if (ext is ".safetensors" or ".bin")
                hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{name} {info.Length} {info.LastWriteTimeUtc.Ticks}\n")));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Files at most this large are identified by their content in <see cref="OfTree"/>; larger ones by size and time.</summary>
    public const long ContentHashedBelow = 64L << 20;

    /// <summary>
    /// A data file's or folder's identity, for what a pipeline stage reads (<see cref="Pipeline.StageMarks"/>): every file
    /// under it (recursively, by its path relative to <paramref name="path"/> in ordinal order), by its content when
    /// smaller than <see cref="ContentHashedBelow"/>, else by size and modification time, so a BEIR folder's
    /// qrels/test.tsv or a corpus edited in place changes it. The folder <paramref name="skip"/> (a pipeline's output,
    /// which a stage reading documents skips too) is left out with everything under it. Null when
    /// <paramref name="path"/> does not exist (a hub id).
    /// </summary>
    public static string? OfTree(string path, string? skip = null)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) return null;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        string? skipped = skip is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(skip));
        var files = File.Exists(path) ? [path] : new FileSystemEnumerable<string>(path, (ref FileSystemEntry e) => e.ToFullPath(),
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory,
            ShouldRecursePredicate = (ref FileSystemEntry e) => e.ToFullPath() != skipped,
        }.Order(StringComparer.Ordinal).ToList();
        foreach (var file in files)
        {
            var info = new FileInfo(file);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target;
            string name = Path.GetRelativePath(path, file).Replace('\\', '/');
            string identity = info.Length < ContentHashedBelow ? OfFile(info.FullName)
                : string.Create(CultureInfo.InvariantCulture, $"{info.Length} {info.LastWriteTimeUtc.Ticks}");
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}\n{identity}\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
