using System.CommandLine;
using System.Globalization;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Hub;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald upload</c>: a model (or any) folder to a Hugging Face hub repository in one commit (huggingface_hub's
/// <c>hf upload</c>: the repository created when missing, unchanged files left out, large files over LFS, a cut-off run
/// resumed by running it again); <c>--large-folder</c> splits a very large folder over several commits
/// (<c>hf upload-large-folder</c>). Prints the (last) commit's address on stdout.
/// </summary>
internal sealed class UploadCommand : Command
{
    /// <summary>
    /// Files per commit of <c>--large-folder</c>: huggingface_hub's upload_large_folder starts at 50 and moves between 20
    /// and 1000 (down after a failed commit, up after a quick one); Skald keeps this size until the hub refuses a commit
    /// as too large, then halves it for that commit and the ones after it.
    /// </summary>
    private const int DefaultFilesPerCommit = 100;

    private readonly Option<string> folder = CliOptions.Text("--folder", "The local folder to upload (a model folder skald train, merge or quantize wrote, or any other)", "DIR");
    private readonly Option<string> file = CliOptions.Text("--file", "One file to upload instead of a folder (--path-in-repo is then its path in the repository; default its name)", "FILE");
    private readonly Option<string> repo = CliOptions.Text("--repo", "The hub repository, org/name (created when missing)", "ID", required: true);
    private readonly Option<string> pathInRepo = CliOptions.Text("--path-in-repo", "Folder inside the repository the files go to (default: its root); with --file, the file's path there", "PATH", "");
    private readonly Option<string> revision = CliOptions.Text("--revision", "Branch the commit goes to", "BRANCH", HubId.DefaultRevision);
    private readonly Option<string> type = CliOptions.Choice("--repo-type", "Kind of repository", "model", "model", "dataset");
    private readonly Option<bool> isPrivate = CliOptions.Flag("--private", "Create the repository private (a repository that exists keeps its visibility)");
    private readonly Option<string> message = CliOptions.Text("--commit-message", "The commit's title", "TEXT", "Upload folder with Skald");
    private readonly Option<string> description = CliOptions.Text("--commit-description", "The commit's description", "TEXT", "");
    private readonly Option<bool> pullRequest = CliOptions.Flag("--create-pr", "Open a pull request against the default branch instead of committing to it");
    private readonly Option<string> include = CliOptions.Text("--include", "Only files whose path in the folder matches one of these patterns (fnmatch: * also crosses /; dir/ = everything under dir)", "GLOB[,GLOB...]");
    private readonly Option<string> exclude = CliOptions.Text("--exclude", "Leave out files matching these patterns (.git and .cache/huggingface always are)", "GLOB[,GLOB...]");
    private readonly Option<bool> largeFolder = CliOptions.Flag("--large-folder", "A very large folder: several commits of at most --files-per-commit files each (hf upload-large-folder; a commit the hub refuses as too large goes again with half as many files); run again after a cut-off run, it sends only what the earlier commits lack");
    private readonly Option<int?> filesPerCommit = CliOptions.Int("--files-per-commit", $"With --large-folder: files per commit (default {DefaultFilesPerCommit})", helpName: "N");
    private readonly Option<int?> workers = CliOptions.Int("--workers", $"Large files (and parts of a multipart upload) sent at once (default {HubUploadRequest.DefaultWorkers}, or fewer when fewer large files are to be sent)", helpName: "N");
    private readonly Option<string> delete = CliOptions.Text("--delete", "Delete the repository's files (under --path-in-repo) matching these patterns in the same commit, unless uploaded again (* makes it mirror the folder; .gitattributes stays)", "GLOB[,GLOB...]");

    public UploadCommand() : base("upload", "Upload a folder (or a file) to a Hugging Face hub repository in one commit (needs HF_TOKEN with write access; HF_ENDPOINT for a mirror)")
    {
        Options.Add(folder);
        Options.Add(file);
        Options.Add(repo);
        Options.Add(pathInRepo);
        Options.Add(revision);
        Options.Add(type);
        Options.Add(isPrivate);
        Options.Add(message);
        Options.Add(description);
        Options.Add(pullRequest);
        Options.Add(include);
        Options.Add(exclude);
        Options.Add(delete);
        Options.Add(largeFolder);
        Options.Add(filesPerCommit);
        Options.Add(workers);
        CliOptions.AtMostOne(this, folder, file);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string id = p.GetValue(repo)!;
        if (!HubId.IsRepoId(id))
            throw new UsageException($"--repo \"{id}\" is not a hub repository id (org/name)");
        if (p.GetValue(folder) is null && p.GetValue(file) is null) throw new UsageException("give --folder DIR or --file FILE to upload");
        if (p.GetValue(file) is not null && (p.GetValue(include) ?? p.GetValue(exclude) ?? p.GetValue(delete)) is not null)
            throw new UsageException("--include, --exclude and --delete choose among a folder's files: not with --file");
        if (p.GetValue(pullRequest) && p.GetResult(revision) is { Implicit: false })
            throw new UsageException("--create-pr opens the pull request against the default branch: leave out --revision");
        bool large = p.GetValue(largeFolder);
        if (!large && p.GetValue(filesPerCommit) is not null) throw new UsageException("--files-per-commit goes with --large-folder");
        if (large && (p.GetValue(file) ?? p.GetValue(delete)) is not null)
            throw new UsageException("--large-folder uploads a folder without deleting: not with --file or --delete");
        if (large && p.GetValue(pullRequest))
            throw new UsageException("--large-folder makes several commits: not with --create-pr (a pull request is one)");
        var request = new HubUploadRequest
        {
            Repo = id,
            Source = p.GetValue(file) ?? p.GetValue(folder)!,
            PathInRepo = p.GetValue(pathInRepo)!,
            Revision = p.GetValue(revision)!,
            Type = p.GetValue(type) == "dataset" ? HubRepoType.Dataset : HubRepoType.Model,
            Private = p.GetValue(isPrivate) ? true : null,
            Message = p.GetValue(message),
            Description = p.GetValue(description)!,
            CreatePullRequest = p.GetValue(pullRequest),
            Include = CliOptions.Items(p.GetValue(include)),
            Exclude = CliOptions.Items(p.GetValue(exclude)),
            Delete = CliOptions.Items(p.GetValue(delete)),
            FilesPerCommit = large ? p.GetValue(filesPerCommit) ?? DefaultFilesPerCommit : null,
            Workers = p.GetValue(workers),
        };
        using var uploader = new HubUploader(HubSettings.FromEnvironment());
        var done = ProgressView.Run($"uploading to {id}", true, quiet, bar =>
            uploader.Upload(request, new HubProgressReporter(r => bar.Report(r.Bytes, r.TotalBytes, $"{r.Files}/{r.TotalFiles} large files"))));
        if (done.FilesCommitted + done.FilesDeleted == 0)
            Terminal.Log($"nothing changed: {id} {request.Revision} already holds these {Counted.Of(done.FilesUnchanged, "file")} (commit {done.CommitOid[..Math.Min(12, done.CommitOid.Length)]})", quiet);
        else
            Terminal.Log(string.Create(CultureInfo.InvariantCulture,
                $"committed {Counted.Of(done.FilesCommitted, "file")}{(done.FilesDeleted > 0 ? $" and {Counted.Of(done.FilesDeleted, "deletion")}" : "")}{(done.Commits > 1 ? $" in {done.Commits} commits" : "")} to {id}{(done.PullRequestUrl is null ? "" : " as a pull request")}: {Counted.Of(done.LargeFilesSent, "large file")} sent ({done.BytesSent / 1048576.0:0.#} MB), {done.LargeFilesPresent} already on the hub, {done.FilesUnchanged} unchanged"), quiet);
        if (done.RefusedCommitSize > 0)
            Terminal.Log($"the hub refused a commit of {done.RefusedCommitSize} files as too large: went on with {done.FilesPerCommit} per commit (pass --files-per-commit {done.FilesPerCommit} next time)", quiet);
        Console.Out.WriteLine(done.PullRequestUrl ?? done.CommitUrl);
        return 0;
    }
}
