using System.Text.RegularExpressions;

namespace Skald.Hub;

/// <summary>
/// The hub cache's layout, the one huggingface_hub writes so Python and Skald share it
/// (<see href="https://github.com/huggingface/huggingface_hub/blob/v1.28.0/src/huggingface_hub/file_download.py">file_download.py
/// at v1.28.0</see>: repo_folder_name, _get_pointer_path, _create_symlink, _cache_commit_hash_for_specific_revision):
/// <code>
/// {cache}/models--org--name/blobs/{etag}                 file contents, named by ETag (sha256 for LFS files, git oid otherwise)
/// {cache}/models--org--name/snapshots/{commit}/{file}    relative links ../../blobs/{etag} (one more ../ per folder level)
/// {cache}/models--org--name/refs/{revision}              the commit hash a branch or tag pointed to
/// {cache}/.locks/models--org--name/{etag}.lock           held while one process downloads that blob
/// {cache}/.locks/models--org--name/{etag}.verified       Skald's record of the blob's size and time when last checked
/// {cache}/CACHEDIR.TAG                                    marks the folder as a cache for backup tools
/// </code>
/// A partial download is kept as <c>blobs/{etag}.incomplete</c> and resumed by the next attempt (under the lock).
/// </summary>
public sealed partial class HubCache(string root)
{
    /// <summary>The cache folder (<c>HF_HUB_CACHE</c>).</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary><c>{cache}/models--org--name</c>.</summary>
    public string RepoFolder(HubId id) => Path.Combine(Root, id.FolderName);

    /// <summary><c>snapshots/{commit}</c> of the repository.</summary>
    public string SnapshotFolder(HubId id, string commit) => Path.Combine(RepoFolder(id), "snapshots", Commit(commit));

    /// <summary><c>blobs/{etag}</c> of the repository.</summary>
    public string BlobPath(HubId id, string etag) => Path.Combine(RepoFolder(id), "blobs", Etag(etag));

    /// <summary><c>.locks/models--org--name/{etag}.lock</c>.</summary>
    public string LockPath(HubId id, string etag) => Path.Combine(Root, ".locks", id.FolderName, Etag(etag) + ".lock");

    /// <summary><c>.locks/models--org--name/{etag}.verified</c>: the size and time of a blob when it last matched its name (<see cref="VerifiedBlobs"/>).</summary>
    public string VerifiedPath(HubId id, string etag) => Path.Combine(Root, ".locks", id.FolderName, Etag(etag) + ".verified");

    /// <summary>
    /// The snapshot path of a repository file (a '/'-separated name from the hub), refused when it would leave the
    /// snapshot folder (absolute, drive or <c>..</c> parts), as huggingface_hub's _validate_relative_filename does.
    /// </summary>
    public string PointerPath(HubId id, string commit, string file)
    {
        if (!IsSafeFileName(file)) throw new HubException($"{id}: the hub listed an unsafe file name {file}");
        return Path.Combine(SnapshotFolder(id, commit), Path.Combine(file.Split('/')));
    }

    /// <summary>True for a relative '/'-separated name without empty, <c>.</c> or <c>..</c> parts.</summary>
    public static bool IsSafeFileName(string file) =>
        file.Length > 0 && !file.StartsWith('/') && !file.Contains('\\') && !file.Contains(':')
        && file.Split('/').All(p => p.Length > 0 && p != "." && p != "..");

    /// <summary>The commit hash cached for the id's revision (the revision itself when it is a commit), or null.</summary>
    public string? ReadRef(HubId id)
    {
        if (id.IsCommit) return id.Revision;
        string path = Path.Combine(RepoFolder(id), "refs", Path.Combine(id.Revision.Split('/')));
        if (!File.Exists(path)) return null;
        string commit = File.ReadAllText(path).Trim();
        return HubId.IsCommitHash(commit) ? commit : null;
    }

    /// <summary>Records that the revision points to <paramref name="commit"/> (written atomically; nothing for a commit revision).</summary>
    public void WriteRef(HubId id, string commit)
    {
        if (id.Revision == commit) return;
        string path = Path.Combine(RepoFolder(id), "refs", Path.Combine(id.Revision.Split('/')));
        if (File.Exists(path) && File.ReadAllText(path) == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, commit);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Points <paramref name="pointer"/> at <paramref name="blob"/> with a relative symbolic link (so the cache can be
    /// moved), replacing what was there by a rename (a link already right is left as it is).
    /// </summary>
    public static void Link(string pointer, string blob)
    {
        string folder = Path.GetDirectoryName(pointer)!;
        Directory.CreateDirectory(folder);
        string target = Path.GetRelativePath(folder, blob);
        // Another process may be reading the snapshot (it resolved the same files a moment ago): a link that is already
        // right stays, and a new one replaces the old by a rename, so a reader finds the old link or the new, never none.
        if (new FileInfo(pointer).LinkTarget == target) return;
        string temporary = $"{pointer}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        File.CreateSymbolicLink(temporary, target);
        File.Move(temporary, pointer, overwrite: true);
    }

    /// <summary>Writes <c>CACHEDIR.TAG</c> (the cache directory tagging standard's signature line) when missing.</summary>
    public void WriteCacheDirTag()
    {
        string path = Path.Combine(Root, "CACHEDIR.TAG");
        if (File.Exists(path)) return;
        try
        {
            Directory.CreateDirectory(Root);
            File.WriteAllText(path, "Signature: 8a477f597d28d172789f06886806bc55\n# A cache folder of Hugging Face hub files (shared by huggingface_hub and Skald).\n");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string Commit(string commit) =>
        HubId.IsCommitHash(commit) ? commit : throw new HubException($"the hub answered with an invalid commit hash {commit}");

    private static string Etag(string etag) =>
        EtagPattern().IsMatch(etag) ? etag : throw new HubException($"the hub answered with an invalid ETag {etag}");

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex EtagPattern();
}
