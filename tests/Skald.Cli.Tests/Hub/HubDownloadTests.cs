using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>skald download</c> against <see cref="MockHub"/>: the model's files land in the shared cache (the path printed),
/// a later verb runs offline from it, <c>--local-dir</c> gives a plain folder that loads by itself, and bad ids are one line.
/// </summary>
public sealed class HubDownloadTests
{
    [Fact]
    public void FetchesIntoTheCacheOrAPlainFolder()
    {
        var repo = MockRepo.FromFolder("skald-test/bert", TestPaths.FixtureModel("bert-cased-mean"));
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        var r = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "download", "--model", "skald-test/bert");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string snapshot = Path.Combine(home, "hub", "models--skald-test--bert", "snapshots", repo.Commit);
        Assert.Equal(snapshot, r.Stdout.Trim());
        Assert.Equal(repo.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));

        // offline afterwards, with the hub gone: the cache answers
        string texts = Path.Combine(dir, "t.txt");
        File.WriteAllText(texts, "Hei verden\n");
        var offline = SkaldProcess.RunWith(dir, Env(home, $"http://127.0.0.1:{MockHub.FreePort()}", offline: true),
            "encode", "--model", "skald-test/bert", "--input", texts, "--output", Path.Combine(dir, "a.jsonl"));
        Assert.True(offline.ExitCode == 0, offline.Stderr);

        string local = Path.Combine(dir, "local");
        var copied = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "download", "--model", "skald-test/bert", "--local-dir", local);
        Assert.True(copied.ExitCode == 0, copied.Stderr);
        Assert.Equal(local, copied.Stdout.Trim());
        var files = Directory.GetFiles(local, "*", SearchOption.AllDirectories);
        Assert.Equal(Directory.GetFiles(snapshot, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(snapshot, f)).Order(),
            files.Select(f => Path.GetRelativePath(local, f)).Order());
        Assert.All(files, f => Assert.Null(new FileInfo(f).LinkTarget)); // plain files, not links into the cache
        var fromFolder = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "encode", "--model", local, "--input", texts, "--output", Path.Combine(dir, "b.jsonl"));
        Assert.True(fromFolder.ExitCode == 0, fromFolder.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "a.jsonl")), File.ReadAllText(Path.Combine(dir, "b.jsonl")));
    }

    [Fact]
    public void BadIdsAreOneLine()
    {
        using var hub = new MockHub();
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "download", "--model", "a/b/c"), 2, "--model", "hub id");
        SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "download", "--model", "skald-test/missing"), 1,
            "skald-test/missing", "not found");
    }
}
