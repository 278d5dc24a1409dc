using System.Globalization;

namespace Skald.Hub;

/// <summary>
/// Uploads a local folder to a Hugging Face hub repository in one commit, as huggingface_hub's <c>create_repo(exist_ok=True)</c>
/// + <c>upload_folder</c> (and <c>hf upload</c>) do over the git-lfs protocol: the repository is created when missing,
/// files the branch already holds with the same content are left out (no empty commit when nothing changed), large files
/// go to the hub's storage first (those it already stores are not sent again, so a run cut off midway resumes where it
/// stopped), then one commit names them all. Needs a token with write access (<c>HF_TOKEN</c> or <c>$HF_HOME/token</c>).
/// Files of the repository matching <see cref="HubUploadRequest.Delete"/> are deleted in the same commit. A very large
/// folder goes in several commits of at most <see cref="HubUploadRequest.FilesPerCommit"/> files (huggingface_hub's
/// <c>upload_large_folder</c>); one the hub refuses as too large is sent again with half as many files, and the commits
/// after it keep that size. Large files go from <see cref="HubUploadRequest.Workers"/> workers at once (<see cref="LfsSender"/>).
/// Not there: the Xet protocol (the hub still takes LFS uploads).
/// </summary>
public sealed class HubUploader(HubSettings settings) : IDisposable
{
    private readonly HubHttp http = new(settings);

    /// <summary>The hub's address and token.</summary>
    public HubSettings Settings { get; } = settings;

    /// <summary>Uploads <paramref name="request"/>'s folder or file; see <see cref="UploadAsync"/>.</summary>
    public HubCommit Upload(HubUploadRequest request, IProgress<HubProgress>? progress = null) =>
        UploadAsync(request, progress, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Commits the files of <paramref name="request"/>'s folder (or its one file) to its repository and returns what was done.
    /// <paramref name="progress"/> counts the large files' bytes sent (of those the hub does not have yet). Every
    /// refusal or unreachable hub is a <see cref="HubException"/> with one line.
    /// </summary>
    public async Task<HubCommit> UploadAsync(HubUploadRequest request, IProgress<HubProgress>? progress = null, CancellationToken ct = default)
    {
        string repo = request.Repo;
        if (!HubId.IsRepoId(repo))
            throw new HubException($"\"{repo}\" is not a hub repository id (org/name)");
        if (HubId.TryParse("x/x@" + request.Revision) is null)
            throw new HubException($"\"{request.Revision}\" is not a branch name the hub accepts");
        if (request.Workers is <= 0) throw new HubException($"{request.Workers} workers: give a positive number");
        if (request.FilesPerCommit is { } perCommit && (perCommit <= 0 || request.Delete.Count > 0 || request.CreatePullRequest))
            throw new HubException(perCommit <= 0 ? $"{perCommit} files per commit: give a positive number"
                : "an upload in several commits cannot delete files or open a pull request: both need the whole change in one commit");
        var listed = Collect(request); // the local mistakes first: a missing folder is named whatever the hub settings
        if (listed.Count == 0)
            throw new HubException($"{request.Source}: no files to upload{(request.Include.Count + request.Exclude.Count > 0 ? " (after --include / --exclude)" : "")}");
        if (Settings.Offline) throw new HubException("HF_HUB_OFFLINE is set: uploading needs the hub");
        if (Settings.Token is null)
            throw new HubException($"uploading to {Settings.Endpoint} needs a token with write access: set HF_TOKEN or write it to $HF_HOME/token");
        // hashed only once the hub can take them; a large folder's hashes are kept for the next run (HashRecords)
        string? records = HashRecords(request);
        var files = listed.Select(f => UploadFile.Read(f.PathInRepo, f.FullPath,
            records is null ? null : Path.Combine(records, Path.GetRelativePath(request.Source, f.FullPath) + ".hashes"))).ToList();
        try
        {
            return await CommitAsync(request, files, progress, ct);
        }
        catch (HubUnreachableException e)
        {
            throw new HubException($"{repo}: {e.Message}; run again to resume (large files already sent are not sent again)", e);
        }
    }

    private async Task<HubCommit> CommitAsync(HubUploadRequest request, List<UploadFile> files, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        var client = new HubUploadClient(http);
        string repo = request.Repo;
        await client.CreateRepoAsync(request.Type, repo, request.Private, ct);
        var modes = await client.PreuploadAsync(request.Type, repo, request.Revision, request.CreatePullRequest, files, ct);
        var commit = new List<(UploadFile File, bool Lfs)>();
        int unchanged = 0;
        foreach (var f in files)
        {
            if (!modes.TryGetValue(f.PathInRepo, out var mode))
                throw new HubException($"{repo}: the hub's preupload answer does not mention {f.PathInRepo}");
            if (mode.Ignored) continue; // the repository's .gitignore drops it
            bool lfs = mode.Lfs && f.Size > 0; // an empty file cannot be an LFS object
            if (mode.RemoteOid is { } remote && remote == (lfs ? f.Sha256 : f.GitSha1))
            {
                unchanged++;
                continue;
            }
            commit.Add((f, lfs));
        }
        List<string> deleted = request.Delete.Count == 0 ? [] : await DeletionsAsync(request, files, ct);
        if (commit.Count == 0 && deleted.Count == 0)
        {
            var current = await CurrentCommitAsync(request, ct);
            return new HubCommit(repo, current, CommitPage(request, current), null, 0, 0, unchanged, 0, 0, 0, 0);
        }
        // One commit, or (FilesPerCommit) several in path order, each sending its own large files first: a run cut off
        // between two leaves whole commits behind, and run again the preupload answer leaves out what they hold.
        var pending = commit.Where(c => c.Lfs).Select(c => c.File).DistinctBy(f => f.Sha256).ToList();
        var counter = new ProgressCounter(progress, pending.Sum(f => f.Size), pending.Count);
        int workers = request.Workers ?? Math.Min(HubUploadRequest.DefaultWorkers, Math.Max(1, pending.Count));
        using var sender = new LfsSender(client, repo, workers, counter);
        int present = 0, size = request.FilesPerCommit ?? Math.Max(1, commit.Count), made = 0, refused = 0, at = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string oid = "", url = "";
        string? pr = null;
        do // at least once: a commit of deletions only has no files
        {
            var part = commit.GetRange(at, Math.Min(size, commit.Count - at));
            var large = part.Where(c => c.Lfs && seen.Add(c.File.Sha256)).Select(c => c.File).ToList();
            if (large.Count > 0)
            {
                var actions = await client.LfsBatchAsync(request.Type, repo, request.CreatePullRequest ? null : request.Revision, large, ct);
                var toSend = large.Where(f => actions.TryGetValue(f.Sha256, out var a) && a is not null).Select(f => (f, actions[f.Sha256]!)).ToList();
                var stored = large.Where(f => actions.GetValueOrDefault(f.Sha256) is null).ToList(); // the hub already has them
                present += stored.Count;
                counter.Drop(stored.Sum(f => f.Size), stored.Count);
                await sender.SendAsync(toSend, ct);
            }
            int commits = made + (commit.Count - at + size - 1) / size; // those made and those still to make at this size
            string title = request.Message ?? "Upload folder with Skald";
            if (commits > 1) title += string.Create(CultureInfo.InvariantCulture, $" (part {made + 1} of {commits})");
            try
            {
                (oid, url, pr) = await client.CommitAsync(request.Type, repo, request.Revision, request.CreatePullRequest,
                    title, request.Description, made == 0 ? deleted : [], part, ct);
            }
            catch (CommitTooLargeException) when (request.FilesPerCommit is not null && part.Count > 1)
            {
                // huggingface_hub's upload_large_folder retries a refused commit with fewer files (LargeUploadStatus.update_chunk):
                // half as many here, down to one, and the commits after it start at that smaller size
                refused = part.Count;
                size = part.Count / 2;
                continue;
            }
            catch (CommitTooLargeException e)
            {
                throw new HubException(request.FilesPerCommit is null
                    ? $"{e.Message}: too large for one commit; upload it in several (skald upload --large-folder, HubUploadRequest.FilesPerCommit)"
                    : $"{e.Message}: the hub refuses even {part[0].File.PathInRepo} in a commit of its own", e);
            }
            at += part.Count;
            made++;
        }
        while (at < commit.Count);
        return new HubCommit(repo, oid, url.Length > 0 ? url : CommitPage(request, oid), pr, commit.Count, deleted.Count, unchanged, counter.Files,
            present, counter.Bytes, made) { RefusedCommitSize = refused, FilesPerCommit = request.FilesPerCommit is null ? 0 : size };
    }

    /// <summary>
    /// The folder where an upload in several commits keeps the hashes of a folder's files (RELATIVE.hashes), as
    /// huggingface_hub's upload_large_folder keeps its progress: <c>FOLDER/.cache/huggingface/upload</c> (the folder's
    /// <c>.cache/huggingface</c> is never uploaded, and is given a <c>.gitignore</c> of <c>*</c> as huggingface_hub gives
    /// it); null for one commit, one file, or a folder that cannot be written.
    /// </summary>
    private static string? HashRecords(HubUploadRequest request)
    {
        if (request.FilesPerCommit is null || !Directory.Exists(request.Source)) return null;
        string cache = Path.Combine(request.Source, ".cache", "huggingface");
        try
        {
            Directory.CreateDirectory(cache);
            string ignore = Path.Combine(cache, ".gitignore");
            if (!File.Exists(ignore)) File.WriteAllText(ignore, "*\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // a read-only folder: hashed on every run
        }
        return Path.Combine(cache, "upload");
    }

    /// <summary>
    /// The files to upload, in path order, with their repository paths: a folder's under
    /// <see cref="HubUploadRequest.PathInRepo"/>, or one file at that path (default: its name).
    /// </summary>
    private static List<(string PathInRepo, string FullPath)> Collect(HubUploadRequest request)
    {
        string prefix = request.PathInRepo.Trim('/') is { Length: > 0 } p ? p + "/" : "";
        if (prefix.Split('/').Any(part => part is ".git" or ".cache" or ".." or "."))
            throw new HubException($"\"{request.PathInRepo}\": a path in the repository may not go through .git, .cache or ..");
        if (File.Exists(request.Source))
            return [(prefix.Length > 0 ? prefix.TrimEnd('/') : Path.GetFileName(request.Source), request.Source)];
        if (!Directory.Exists(request.Source)) throw new HubException($"{request.Source}: no such file or folder");
        var paths = Directory.EnumerateFiles(request.Source, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: Path.GetRelativePath(request.Source, f).Replace('\\', '/')))
            .Where(f => PathPattern.Keeps(f.Relative, request.Include, request.Exclude))
            .OrderBy(f => f.Relative, StringComparer.Ordinal);
        return [.. paths.Select(f => (prefix + f.Relative, f.Full))];
    }

    /// <summary>
    /// The repository's files under the request's folder that its delete patterns match (on the path below that
    /// folder), except .gitattributes and the paths the upload writes (huggingface_hub's _prepare_folder_deletions).
    /// </summary>
    private async Task<List<string>> DeletionsAsync(HubUploadRequest request, List<UploadFile> files, CancellationToken ct)
    {
        var remote = (await BranchAsync(request, ct)).Files;
        string prefix = request.PathInRepo.Trim('/') is { Length: > 0 } p ? p + "/" : "";
        var written = files.Select(f => f.PathInRepo).ToHashSet(StringComparer.Ordinal);
        return [.. remote.Where(f => f.StartsWith(prefix, StringComparison.Ordinal) && f != ".gitattributes" && !written.Contains(f)
            && request.Delete.Any(pattern => PathPattern.Matches(f[prefix.Length..], pattern))).Order(StringComparer.Ordinal)];
    }

    private async Task<string> CurrentCommitAsync(HubUploadRequest request, CancellationToken ct) => (await BranchAsync(request, ct)).Commit;

    /// <summary>The commit and files of the branch the upload compares with (the default branch for a pull request).</summary>
    private async Task<(string Commit, IReadOnlyList<string> Files)> BranchAsync(HubUploadRequest request, CancellationToken ct)
    {
        using var client = new HubClient(Settings);
        var id = new HubId(request.Repo, request.CreatePullRequest ? HubId.DefaultRevision : request.Revision) { Type = request.Type };
        try
        {
            return await client.RevisionAsync(id, ct);
        }
        catch (HubAccessException e)
        {
            throw new HubException(e.Message, e);
        }
    }

    private string CommitPage(HubUploadRequest request, string oid) =>
        $"{Settings.Endpoint}/{(request.Type == HubRepoType.Dataset ? "datasets/" : "")}{request.Repo}/commit/{oid}";

    /// <inheritdoc/>
    public void Dispose() => http.Dispose();
}
