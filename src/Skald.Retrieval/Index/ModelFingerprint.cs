using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Skald.Retrieval.Index;

/// <summary>
/// What identifies a model folder's content wherever it lies: SHA-256 over its files (each one's path relative to the
/// folder and the SHA-256 of its bytes, in ordinal path order; hidden files and folders such as <c>.cache</c> or
/// <c>.git</c> and Markdown files such as the model card left out, symbolic links followed as a hub snapshot's are). An index records its model's
/// (<see cref="IndexManifest.ModelSha256"/>), so a copy of that folder elsewhere (another machine, a container image)
/// searches and serves the index, and another model does not.
/// </summary>
public static class ModelFingerprint
{
    private static readonly ConcurrentDictionary<string, (string Listing, string Hash)> Cache = new(StringComparer.Ordinal);

    /// <summary>The fingerprint of the folder's files, as lower-case hex (computed again only when a file's size or time changed).</summary>
    public static string Of(string folder)
    {
        string root = Path.GetFullPath(folder);
        var files = Files(root);
        string key = Listing(files);
        if (Cache.TryGetValue(root, out var cached) && cached.Listing == key) return cached.Hash;
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (relative, full) in files)
        {
            byte[] content;
            using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
                content = SHA256.HashData(stream);
            all.AppendData(Encoding.UTF8.GetBytes(relative + "\0" + Convert.ToHexStringLower(content) + "\n"));
        }
        string hash = Convert.ToHexStringLower(all.GetHashAndReset());
        Cache[root] = (key, hash);
        return hash;
    }

    /// <summary>
    /// What the folder's files look like without reading them: SHA-256 over each one's path, size and modification time
    /// (lower-case hex), recorded beside the fingerprint (<see cref="IndexManifest.ModelFilesStamp"/>) so that
    /// <see cref="Unchanged"/> hashes the files only when it differs.
    /// </summary>
    public static string Stamp(string folder) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Listing(Files(Path.GetFullPath(folder))))));

    /// <summary>
    /// Whether the model in <paramref name="folder"/> still has the files <paramref name="manifest"/>'s index was built
    /// with: its <see cref="Stamp"/> is the one recorded (no file read), or else its fingerprint is (a file touched or
    /// copied, its bytes the same). True for an index that recorded no fingerprint (nothing to compare with). A file
    /// replaced by one of the same size and modification time (<c>cp -p</c>, <c>touch -r</c>) passes unnoticed.
    /// </summary>
    public static bool Unchanged(IndexManifest manifest, string folder)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.ModelSha256 is not { } recorded) return true;
        if (manifest.ModelFilesStamp is { } stamp && string.Equals(Stamp(folder), stamp, StringComparison.Ordinal)) return true;
        return string.Equals(Of(folder), recorded, StringComparison.Ordinal);
    }

    // The model's files (the card and hidden ones aside), by path relative to the folder, in ordinal order.
    private static (string Relative, string Full)[] Files(string root) =>
        [.. Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true })
            .Where(f => !f.EndsWith(".md", StringComparison.OrdinalIgnoreCase)) // the model card: no embedding depends on it
            .Select(f => (Relative: Path.GetRelativePath(root, f).Replace('\\', '/'), Full: f))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)];

    // Each file's path, size and time (a link's target's, as a hub snapshot's files are links into its blobs).
    private static string Listing((string Relative, string Full)[] files)
    {
        var listing = new StringBuilder();
        foreach (var (relative, full) in files)
        {
            var info = new FileInfo(full);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            listing.Append(relative).Append('\0').Append(target.Length).Append('\0').Append(target.LastWriteTimeUtc.Ticks).Append('\n');
        }
        return listing.ToString();
    }

    /// <summary>
    /// Whether <paramref name="folder"/> holds the model <paramref name="manifest"/>'s index was built with: that folder,
    /// or one whose files have the fingerprint the index recorded (indexes written before it was recorded: the folder only).
    /// </summary>
    public static bool Matches(IndexManifest manifest, string folder)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        string served = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        string built = Path.TrimEndingDirectorySeparator(Path.GetFullPath(manifest.Model));
        if (string.Equals(served, built, StringComparison.Ordinal)) return true;
        return manifest.ModelSha256 is { } recorded && Directory.Exists(served) && string.Equals(Of(served), recorded, StringComparison.Ordinal);
    }
}
