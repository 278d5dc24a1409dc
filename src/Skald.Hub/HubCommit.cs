namespace Skald.Hub;

/// <summary>What an upload did (<see cref="HubUploader.UploadAsync"/>).</summary>
/// <param name="Repo">The repository id.</param>
/// <param name="CommitOid">The new (last) commit's hash, or the branch's current one when nothing had changed.</param>
/// <param name="CommitUrl">The hub's page of that commit.</param>
/// <param name="PullRequestUrl">The pull request opened, when one was asked for.</param>
/// <param name="FilesCommitted">Files in the commit (0 when nothing had changed: then no commit is made).</param>
/// <param name="FilesDeleted">Files of the repository the commit deleted (<see cref="HubUploadRequest.Delete"/>).</param>
/// <param name="FilesUnchanged">Files left out because the repository already holds the same content at that path.</param>
/// <param name="LargeFilesSent">Large (LFS) files whose bytes were sent.</param>
/// <param name="LargeFilesPresent">Large files the hub already stored (an earlier, interrupted upload or another repository), not sent again.</param>
/// <param name="BytesSent">Bytes of large files sent.</param>
/// <param name="Commits">Commits made (0 when nothing had changed; more than 1 only with <see cref="HubUploadRequest.FilesPerCommit"/>).</param>
public sealed record HubCommit(string Repo, string CommitOid, string CommitUrl, string? PullRequestUrl, int FilesCommitted,
    int FilesDeleted, int FilesUnchanged, int LargeFilesSent, int LargeFilesPresent, long BytesSent, int Commits)
{
    /// <summary>
    /// The files of the last commit the hub refused as too large (HTTP 413) before it was sent again in smaller ones; 0
    /// when none was (only <see cref="HubUploadRequest.FilesPerCommit"/> retries one).
    /// </summary>
    public int RefusedCommitSize { get; init; }

    /// <summary>The files per commit the upload ended with (fewer than asked after a refusal); 0 for an upload in one commit.</summary>
    public int FilesPerCommit { get; init; }
}
