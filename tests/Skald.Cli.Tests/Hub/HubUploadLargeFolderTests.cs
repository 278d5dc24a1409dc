using Skald.Hub;
using static Skald.Cli.Tests.Hub.HubUploadTests;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>skald upload --large-folder</c> against <see cref="MockHub"/>: a folder goes in several commits of at most
/// <c>--files-per-commit</c> files in path order (huggingface_hub's upload_large_folder), the repository ends holding
/// exactly the folder, and a run killed (SIGKILL) right after the hub applied a commit — before its answer arrived —
/// resumes when run again with only the files the hub lacks: no file committed twice, no large file sent twice; the
/// files' hashes are kept under the folder's <c>.cache/huggingface/upload</c>, so a run again does not read them again.
/// </summary>
public sealed class HubUploadLargeFolderTests
{
    // In path order: three commits of at most 3 files are [a, b, config], [data/notes, data/x, tokenizer], [z/readme].
    private static readonly string[] Paths =
        ["a.safetensors", "b.safetensors", "config.json", "data/notes.txt", "data/x.parquet", "tokenizer.json", "z/readme.md"];

    private static string Folder()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "large");
        for (int i = 0; i < Paths.Length; i++) Write(folder, Paths[i], RandomBytes(700 + 100 * i, 40 + i));
        return folder;
    }

    private static void AssertHoldsExactly(MockHub hub, string repo, string folder)
    {
        var files = hub.FilesOf(repo);
        Assert.Equal([".gitattributes", .. Paths], files.Keys.Order(StringComparer.Ordinal).ToArray());
        foreach (string p in Paths) Assert.Equal(File.ReadAllBytes(Path.Combine(folder, p)), files[p]);
    }

    private static string[] PathsOf((string Repo, string Summary, List<(string Key, string Path)> Lines, bool PullRequest) commit) =>
        [.. commit.Lines.Select(l => l.Path)];

    [Fact]
    public void AFolderGoesInSeveralCommitsAndTheRepositoryEndsAsTheFolder()
    {
        using var hub = new MockHub();
        string folder = Folder();
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        var r = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/large", "--large-folder", "--files-per-commit", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var commits = hub.Commits.ToArray();
        Assert.Equal(3, commits.Length);
        Assert.Equal(new[] { Paths[..3], Paths[3..6], Paths[6..] }, commits.Select(PathsOf).ToArray());
        Assert.Equal(["Upload folder with Skald (part 1 of 3)", "Upload folder with Skald (part 2 of 3)", "Upload folder with Skald (part 3 of 3)"],
            commits.Select(c => c.Summary).ToArray());
        Assert.All(commits.SelectMany(c => c.Lines), l => Assert.Equal(MockRepo.IsLfs(l.Path) ? "lfsFile" : "file", l.Key));
        Assert.Contains("committed 7 files in 3 commits to org/large: 3 large files sent", r.Stderr);
        Assert.Equal($"{hub.Endpoint}/org/large/commit/{hub.CommitOf("org/large")}", r.Stdout.Trim()); // the last commit
        AssertHoldsExactly(hub, "org/large", folder);

        var again = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/large", "--large-folder", "--files-per-commit", "3");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(3, hub.Commits.Count); // no empty commit
        Assert.Contains($"nothing changed: org/large main already holds these {Paths.Length} file{(Paths.Length == 1 ? "" : "s")}", again.Stderr);
    }

    [Fact]
    public async Task ARunKilledBetweenCommitsResumesWithOnlyTheRest()
    {
        using var hub = new MockHub();
        string folder = Folder();
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        string[] args = ["upload", "--folder", folder, "--repo", "org/killed", "--large-folder", "--files-per-commit", "3"];
        // the first commit is applied: the uploader dies before its answer
        await RunKilledAsync(home, hub.Endpoint, args, kill => hub.CommitApplied = n =>
        {
            if (n == 1) kill();
        });
        hub.CommitApplied = null;
        Assert.Equal(Paths[..3], PathsOf(Assert.Single(hub.Commits)));
        Assert.Equal([".gitattributes", .. Paths[..3]], hub.FilesOf("org/killed").Keys.Order(StringComparer.Ordinal).ToArray());
        byte[] x = File.ReadAllBytes(Path.Combine(folder, "data/x.parquet"));
        Assert.False(hub.Stores(Sha256(x))); // the second commit's large file was not sent yet

        int puts = hub.StoragePuts.Count;
        var resumed = SkaldProcess.RunWith(null, Env(home, hub.Endpoint, MockHub.Token), args);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        var rest = hub.Commits.Skip(1).ToArray();
        Assert.Equal(new[] { Paths[3..6], Paths[6..] }, rest.Select(PathsOf).ToArray()); // what the killed run committed is not again
        Assert.Equal(["Upload folder with Skald (part 1 of 2)", "Upload folder with Skald (part 2 of 2)"], rest.Select(c => c.Summary).ToArray());
        Assert.Equal([Sha256(x)], hub.StoragePuts.Skip(puts).Select(s => s.Oid).ToArray());
        Assert.Contains("committed 4 files in 2 commits to org/killed: 1 large file sent (0 MB), 0 already on the hub, 3 unchanged", resumed.Stderr);
        AssertHoldsExactly(hub, "org/killed", folder);
    }

    [Fact]
    public void ARunAgainTakesTheHashesTheFolderKeepsInsteadOfReadingItsFilesAgain()
    {
        using var hub = new MockHub();
        string folder = Folder();
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        string[] args = ["--folder", folder, "--repo", "org/hashed", "--large-folder", "--files-per-commit", "3"];
        Assert.Equal(0, Upload(home, hub.Endpoint, MockHub.Token, args).ExitCode);
        string cache = Path.Combine(folder, ".cache", "huggingface");
        Assert.Equal("*\n", File.ReadAllText(Path.Combine(cache, ".gitignore")));
        Assert.True(File.Exists(Path.Combine(cache, "upload", "data", "x.parquet.hashes")));

        // new bytes under the same size and time: taken from the record, not read (huggingface_hub's upload_large_folder
        // trusts its kept sha256 the same way), so nothing is committed
        string config = Path.Combine(folder, "config.json");
        var time = File.GetLastWriteTimeUtc(config);
        File.WriteAllBytes(config, RandomBytes((int)new FileInfo(config).Length, 99));
        File.SetLastWriteTimeUtc(config, time);
        var same = Upload(home, hub.Endpoint, MockHub.Token, args);
        Assert.True(same.ExitCode == 0, same.Stderr);
        Assert.Contains("nothing changed", same.Stderr);
        Assert.Equal(3, hub.Commits.Count);

        // a file whose size or time changed is read again
        File.SetLastWriteTimeUtc(config, time.AddSeconds(1));
        var changed = Upload(home, hub.Endpoint, MockHub.Token, args);
        Assert.True(changed.ExitCode == 0, changed.Stderr);
        Assert.Equal(["config.json"], PathsOf(hub.Commits.Last()));
        AssertHoldsExactly(hub, "org/hashed", folder);
    }

    [Fact]
    public void ACommitTheHubRefusesAsTooLargeGoesAgainInHalvesAndTheCommitsAfterItKeepThatSize()
    {
        using var hub = new MockHub { CommitLimit = 2 }; // a commit of more than 2 files: 413 Payload Too Large
        string folder = Folder();
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        var r = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/halved", "--large-folder", "--files-per-commit", "5");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal([("org/halved", 5)], hub.RefusedCommits.ToArray()); // 5 refused once; 2 worked, and every later commit starts at 2
        var commits = hub.Commits.ToArray();
        Assert.Equal(new[] { Paths[..2], Paths[2..4], Paths[4..6], Paths[6..] }, commits.Select(PathsOf).ToArray());
        Assert.Equal([.. Enumerable.Range(1, 4).Select(i => $"Upload folder with Skald (part {i} of 4)")], commits.Select(c => c.Summary).ToArray());
        Assert.Equal(3, hub.StoragePuts.Count); // the refused commit's large files were sent once, not again for the smaller one
        Assert.Contains("committed 7 files in 4 commits to org/halved: 3 large files sent", r.Stderr);
        Assert.Contains("the hub refused a commit of 5 files as too large: went on with 2 per commit", r.Stderr);
        AssertHoldsExactly(hub, "org/halved", folder);
    }

    [Fact]
    public void ACommitTooLargeEvenForOneFileOrInOneCommitIsOneLine()
    {
        using var hub = new MockHub { CommitLimit = 0 };
        string folder = Folder();
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        var single = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/big");
        SkaldProcess.AssertUserError(single, 1, "org/big", "HTTP 413", "Payload Too Large", "--large-folder", $"the commit of {Paths.Length} files to main");
        Assert.Equal([("org/big", Paths.Length)], hub.RefusedCommits.ToArray()); // one commit is not split

        var large = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/big", "--large-folder", "--files-per-commit", "4");
        SkaldProcess.AssertUserError(large, 1, "org/big", "HTTP 413", "a.safetensors", "the commit of 1 file to main"); // not "1 file(s)"
        Assert.Equal([Paths.Length, 4, 2, 1], hub.RefusedCommits.Select(c => c.Files).ToArray()); // halved down to one file, then given up
        Assert.Empty(hub.Commits);
    }

    [Fact]
    public void WhatSeveralCommitsCannotDoIsOneLine()
    {
        using var hub = new MockHub();
        string folder = Folder();
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/m", "--files-per-commit", "3"), 2,
            "--files-per-commit", "--large-folder");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/m", "--large-folder", "--delete", "*"), 2,
            "--large-folder", "--delete");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/m", "--large-folder", "--create-pr"), 2,
            "--large-folder", "--create-pr");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--file", Path.Combine(folder, "config.json"), "--repo", "org/m", "--large-folder"), 2,
            "--large-folder", "--file");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/m", "--large-folder", "--files-per-commit", "0"), 2,
            "--files-per-commit");
        var settings = Settings(hub, home);
        using var uploader = new HubUploader(settings);
        var e = Assert.Throws<HubException>(() => uploader.Upload(new HubUploadRequest { Repo = "org/m", Source = folder, FilesPerCommit = 3, Delete = ["*"] }));
        Assert.Contains("several commits cannot delete", e.Message);
        Assert.Empty(hub.Commits);
        Assert.Empty(hub.Created);
    }
}
