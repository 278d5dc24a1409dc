namespace Skald.Hub;

/// <summary>
/// What <see cref="HubUploader"/> commits: the files of a local folder (filtered by <see cref="Include"/> and
/// <see cref="Exclude"/>, <c>.git</c> and <c>.cache/huggingface</c> always left out) into one commit of a hub repository,
/// as huggingface_hub's <c>upload_folder</c> and the <c>hf upload</c> command do. The repository is created first when it
/// does not exist. With <see cref="FilesPerCommit"/> the files go in several commits instead, as huggingface_hub's
/// <c>upload_large_folder</c> does.
/// </summary>
public sealed record HubUploadRequest
{
    /// <summary>The repository id, <c>org/name</c> (or <c>user/name</c>).</summary>
    public required string Repo { get; init; }

    /// <summary>
    /// The local folder whose files are uploaded (sub-folders included), or one file (then <see cref="PathInRepo"/> is its
    /// path in the repository, its name by default, as <c>hf upload</c> takes it).
    /// </summary>
    public required string Source { get; init; }

    /// <summary>A model (default) or a dataset repository.</summary>
    public HubRepoType Type { get; init; } = HubRepoType.Model;

    /// <summary>The branch the commit goes to (huggingface_hub's default: main).</summary>
    public string Revision { get; init; } = HubId.DefaultRevision;

    /// <summary>The folder inside the repository the files go to ("" for its root); for one file, its path there.</summary>
    public string PathInRepo { get; init; } = "";

    /// <summary>The commit's title; null for "Upload folder with Skald".</summary>
    public string? Message { get; init; }

    /// <summary>The commit's description (may be empty).</summary>
    public string Description { get; init; } = "";

    /// <summary>Whether a repository that has to be created is private; null leaves the hub's default (public).</summary>
    public bool? Private { get; init; }

    /// <summary>Open a pull request against the default branch instead of committing to <see cref="Revision"/>.</summary>
    public bool CreatePullRequest { get; init; }

    /// <summary>
    /// Patterns a file's path in the folder must match to be uploaded (fnmatch, as huggingface_hub's allow_patterns:
    /// <c>*</c> also matches <c>/</c>; a pattern ending in <c>/</c> means everything under that folder); empty: every file.
    /// </summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Patterns of paths left out (huggingface_hub's ignore_patterns), on top of <c>.git</c> and <c>.cache/huggingface</c>.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>
    /// Patterns of files in the repository (under <see cref="PathInRepo"/>, matched on the path below it) that the same
    /// commit deletes unless the folder uploads a file at that path (huggingface_hub's delete_patterns; <c>*</c> makes the
    /// repository's folder hold exactly the local one). <c>.gitattributes</c> is never deleted.
    /// </summary>
    public IReadOnlyList<string> Delete { get; init; } = [];

    /// <summary>
    /// At most this many files per commit: the folder goes in several commits, each complete on its own, as
    /// huggingface_hub's <c>upload_large_folder</c> (and <c>hf upload-large-folder</c>) splits a very large folder; a run
    /// cut off between commits, run again, leaves out what the earlier commits hold. Null (the default): one commit.
    /// Not with <see cref="Delete"/> or <see cref="CreatePullRequest"/>, which need the whole change in one commit.
    /// </summary>
    public int? FilesPerCommit { get; init; }

    /// <summary>Storage PUTs in flight at once when <see cref="Workers"/> is null (bounded by the large files to send).</summary>
    public const int DefaultWorkers = 4;

    /// <summary>
    /// Large files (and parts of a multipart upload) sent at once: huggingface_hub's upload_folder sends LFS files from 5
    /// threads, upload_large_folder from half the CPU cores. Null: <see cref="DefaultWorkers"/>, or fewer when fewer large
    /// files are to be sent. 1 sends them one at a time, in path order.
    /// </summary>
    public int? Workers { get; init; }
}
