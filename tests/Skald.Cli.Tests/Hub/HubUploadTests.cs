using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skald.Hub;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>skald upload</c> against <see cref="MockHub"/>'s upload routes on 127.0.0.1: a model folder goes up in one commit
/// (large files over LFS, without the token, with their length) and loads back by hub id with the same embeddings;
/// unchanged files are left out; a run cut off by the storage resumes without sending large files again; multipart
/// uploads reassemble; pull requests, dataset repositories, folders in the repository and patterns; every refusal is
/// one line.
/// </summary>
[RunsLong(31)] // 28 uploads, one after another
public sealed class HubUploadTests
{
    private const string Fixture = "bert-cased-mean";

    private static string CopyOfFixture()
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "model");
        string source = TestPaths.FixtureModel(Fixture);
        foreach (string f in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(dir, Path.GetRelativePath(source, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return dir;
    }

    internal static void Write(string folder, string name, byte[] content)
    {
        string path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    internal static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    internal static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    internal static SkaldProcess.Result Upload(string home, string endpoint, string? token, params string[] args) =>
        SkaldProcess.RunWith(Path.GetDirectoryName(home), Env(home, endpoint, token ?? ""), ["upload", .. args]);

    /// <summary>
    /// Runs <c>skald ARGS</c> against the hub at <paramref name="endpoint"/> and returns once it died by SIGKILL;
    /// <paramref name="arm"/> gets the action that kills it (and waits for its end), for a hook of the hub to call.
    /// </summary>
    internal static async Task RunKilledAsync(string home, string endpoint, string[] args, Action<Action> arm)
    {
        var started = new TaskCompletionSource<System.Diagnostics.Process>();
        arm(() =>
        {
            var running = started.Task.Result;
            running.Kill(entireProcessTree: true);
            running.WaitForExit();
        });
        var psi = SkaldProcess.StartInfo(null, args);
        foreach (var (k, v) in Env(home, endpoint, MockHub.Token)) psi.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(psi)!;
        started.SetResult(p);
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(300_000), "the run was not killed");
        string err = await stderr;
        Assert.True(p.ExitCode == 128 + 9, $"exit code {p.ExitCode} (not SIGKILL): {err}");
    }

    [Fact]
    public void UploadsAModelFolderThatLoadsBackByHubIdWithTheSameEmbeddings()
    {
        using var hub = new MockHub();
        string folder = CopyOfFixture();
        Write(folder, ".git/HEAD", "ref: refs/heads/main\n"u8.ToArray());
        Write(folder, ".cache/huggingface/upload/model.safetensors.lock", [1]);
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        var r = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "skald-test/uploaded", "--private");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var commit = Assert.Single(hub.Commits);
        Assert.Equal($"{hub.Endpoint}/skald-test/uploaded/commit/{hub.CommitOf("skald-test/uploaded")}", r.Stdout.Trim());
        Assert.Equal(("skald-test/uploaded", "private", "model"), Assert.Single(hub.Created));
        Assert.Equal("Upload folder with Skald", commit.Summary);

        // every file but .git and .cache/huggingface, the weights as an LFS pointer, the rest inline
        var local = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal) && !f.StartsWith(".cache/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(local, commit.Lines.Select(l => l.Path).ToArray());
        Assert.All(commit.Lines, l => Assert.Equal(l.Path.EndsWith(".safetensors", StringComparison.Ordinal) ? "lfsFile" : "file", l.Key));
        byte[] weights = File.ReadAllBytes(Path.Combine(folder, "model.safetensors"));
        Assert.Equal((Sha256(weights), false, (long)weights.Length), Assert.Single(hub.StoragePuts)); // no token to the storage, a Content-Length
        var stored = hub.FilesOf("skald-test/uploaded");
        foreach (string f in local) Assert.Equal(File.ReadAllBytes(Path.Combine(folder, f)), stored[f]);

        // the uploaded repository loads back by its id (fresh cache) and embeds as the fixture's PyTorch reference does
        string texts = Path.Combine(Path.GetDirectoryName(folder)!, "texts.jsonl"), output = texts + ".out.jsonl";
        var expected = File.ReadLines(Path.Combine(folder, "expected.jsonl")).Where(l => l.Length > 0).Take(3).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        File.WriteAllLines(texts, expected.Select(e => JsonSerializer.Serialize(new { text = e.GetProperty("text").GetString() })));
        var encode = SkaldProcess.RunWith(Path.GetDirectoryName(folder), Env(Path.Combine(home, "fresh"), hub.Endpoint, MockHub.Token),
            "encode", "--model", "skald-test/uploaded", "--input", texts, "--output", output);
        Assert.True(encode.ExitCode == 0, encode.Stderr);
        var lines = File.ReadAllLines(output);
        for (int i = 0; i < expected.Count; i++)
        {
            var want = expected[i].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            var got = JsonSerializer.Deserialize<float[]>(lines[i])!;
            for (int j = 0; j < want.Length; j++) Assert.True(MathF.Abs(got[j] - want[j]) <= 1e-5f, $"text {i}, component {j}");
        }
    }

    [Fact]
    public void ASecondUploadSendsOnlyWhatChanged()
    {
        using var hub = new MockHub();
        string folder = CopyOfFixture();
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        Assert.Equal(0, Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/model").ExitCode);
        int files = Assert.Single(hub.Commits).Lines.Count;

        var same = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/model");
        Assert.True(same.ExitCode == 0, same.Stderr);
        Assert.Single(hub.Commits); // no empty commit
        Assert.Single(hub.StoragePuts);
        Assert.Contains($"nothing changed: org/model main already holds these {files} file{(files == 1 ? "" : "s")}", same.Stderr);
        Assert.Equal($"{hub.Endpoint}/org/model/commit/{hub.CommitOf("org/model")}", same.Stdout.Trim());

        Write(folder, "README.md", "# A Norwegian test model\n"u8.ToArray());
        var changed = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/model", "--commit-message", "Add a card");
        Assert.True(changed.ExitCode == 0, changed.Stderr);
        var second = hub.Commits.Last();
        Assert.Equal("Add a card", second.Summary);
        Assert.Equal([("file", "README.md")], second.Lines);
        Assert.Single(hub.StoragePuts);
        Assert.Contains($"committed 1 file to org/model: 0 large files sent (0 MB), 0 already on the hub, {files} unchanged", changed.Stderr);
    }

    [Fact]
    public void AnUploadCutOffByTheStorageResumesWithoutSendingLargeFilesAgain()
    {
        using var hub = new MockHub();
        string folder = Path.Combine(TestPaths.NewTempDir(), "model");
        byte[] a = RandomBytes(3000, 1), b = RandomBytes(5000, 2);
        Write(folder, "a.safetensors", a);
        Write(folder, "b.safetensors", b);
        Write(folder, "config.json", "{\"model_type\": \"bert\"}"u8.ToArray());
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        hub.FailStorage[Sha256(a)] = 1; // one transient failure: retried within the run
        hub.FailStorage[Sha256(b)] = 100; // the storage keeps failing: the run stops
        var cut = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/cut");
        SkaldProcess.AssertUserError(cut, 1, "org/cut", "HTTP 500", "b.safetensors", "run again");
        Assert.Empty(hub.Commits);
        Assert.True(hub.Stores(Sha256(a)));
        Assert.False(hub.Stores(Sha256(b)));

        hub.FailStorage.Clear();
        int before = hub.StoragePuts.Count;
        var resumed = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/cut");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal([Sha256(b)], hub.StoragePuts.Skip(before).Select(p => p.Oid).ToArray()); // a is not sent again
        Assert.Contains("committed 3 files to org/cut: 1 large file sent (0 MB), 1 already on the hub, 0 unchanged", resumed.Stderr);
        Assert.Equal(a, hub.FilesOf("org/cut")["a.safetensors"]);
        Assert.Equal(b, hub.FilesOf("org/cut")["b.safetensors"]);
    }

    [Fact]
    public void MultipartUploadsSendNumberedPartsAndReassemble()
    {
        using var hub = new MockHub { MultipartAbove = 2500, PartSize = 1000 };
        string folder = Path.Combine(TestPaths.NewTempDir(), "model");
        byte[] big = RandomBytes(4500, 3), small = RandomBytes(2000, 4);
        Write(folder, "big.safetensors", big);
        Write(folder, "small.safetensors", small);
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        var r = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/parts", "--workers", "1"); // one at a time: in order
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(1, hub.MaxStorageInFlight);
        string oid = Sha256(big);
        Assert.Equal([.. Enumerable.Range(1, 5).Select(i => $"{oid}/part/{i}"), Sha256(small)], hub.StoragePuts.Select(p => p.Oid).ToArray());
        Assert.Equal([1000L, 1000, 1000, 1000, 500, 2000], hub.StoragePuts.Select(p => p.Length).ToArray());
        Assert.DoesNotContain(hub.StoragePuts, p => p.Authorized);
        Assert.Equal(big, hub.FilesOf("org/parts")["big.safetensors"]);
        Assert.Equal(small, hub.FilesOf("org/parts")["small.safetensors"]);
    }

    [Fact]
    public void PullRequestsDatasetsFoldersInTheRepositoryAndPatterns()
    {
        using var hub = new MockHub();
        string folder = Path.Combine(TestPaths.NewTempDir(), "data");
        Write(folder, "train.parquet", RandomBytes(700, 5));
        Write(folder, "dev.parquet", RandomBytes(600, 6));
        Write(folder, "notes.txt", "drafts"u8.ToArray());
        Write(folder, "cache/old.parquet", RandomBytes(100, 7));
        Write(folder, "skip.ignored", "the repository's .gitignore drops it"u8.ToArray());
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        var created = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/nordic", "--repo-type", "dataset",
            "--path-in-repo", "data/", "--include", "*.parquet,*.ignored", "--exclude", "cache/");
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Equal(("org/nordic", null, "dataset"), Assert.Single(hub.Created));
        var first = Assert.Single(hub.Commits);
        Assert.Equal("datasets/org/nordic", first.Repo);
        Assert.Equal([("lfsFile", "data/dev.parquet"), ("lfsFile", "data/train.parquet")], first.Lines);
        Assert.Equal($"{hub.Endpoint}/datasets/org/nordic/commit/{hub.CommitOf("datasets/org/nordic")}", created.Stdout.Trim());

        Write(folder, "train.parquet", RandomBytes(800, 8));
        var pr = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/nordic", "--repo-type", "dataset",
            "--path-in-repo", "data", "--include", "*.parquet", "--exclude", "cache/", "--create-pr");
        Assert.True(pr.ExitCode == 0, pr.Stderr);
        var second = hub.Commits.Last();
        Assert.True(second.PullRequest);
        Assert.Equal([("lfsFile", "data/train.parquet")], second.Lines);
        Assert.Equal($"{hub.Endpoint}/datasets/org/nordic/discussions/1", pr.Stdout.Trim());
        Assert.Equal(700, hub.FilesOf("datasets/org/nordic")["data/train.parquet"].Length); // main is unchanged until the PR is merged
    }

    [Fact]
    public void OneFileGoesToItsNameOrToTheGivenPath()
    {
        using var hub = new MockHub();
        string folder = Path.Combine(TestPaths.NewTempDir(), "model");
        byte[] weights = RandomBytes(1200, 14);
        Write(folder, "sub/model.safetensors", weights);
        Write(folder, "config.json", "{}"u8.ToArray());
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        var named = Upload(home, hub.Endpoint, MockHub.Token, "--file", Path.Combine(folder, "sub", "model.safetensors"), "--repo", "org/one");
        Assert.True(named.ExitCode == 0, named.Stderr);
        Assert.Equal([("lfsFile", "model.safetensors")], hub.Commits.Last().Lines);
        var placed = Upload(home, hub.Endpoint, MockHub.Token, "--file", Path.Combine(folder, "config.json"), "--repo", "org/one", "--path-in-repo", "1_Pooling/config.json");
        Assert.True(placed.ExitCode == 0, placed.Stderr);
        Assert.Equal([("file", "1_Pooling/config.json")], hub.Commits.Last().Lines);
        Assert.Equal([".gitattributes", "1_Pooling/config.json", "model.safetensors"], hub.FilesOf("org/one").Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void DeletePatternsRemoveStaleFilesInTheSameCommit()
    {
        using var hub = new MockHub();
        string folder = Path.Combine(TestPaths.NewTempDir(), "model");
        Write(folder, "model-00001-of-00002.safetensors", RandomBytes(900, 9));
        Write(folder, "model-00002-of-00002.safetensors", RandomBytes(800, 10));
        Write(folder, "model.safetensors.index.json", "{\"weight_map\": {}}"u8.ToArray());
        Write(folder, "config.json", "{\"model_type\": \"bert\"}"u8.ToArray());
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        Assert.Equal(0, Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/sync").ExitCode);
        Assert.Equal(0, Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/sync", "--path-in-repo", "copy").ExitCode);

        // the model is saved again in one file: without deleting, the old index would still send loaders to the shards
        foreach (string f in Directory.GetFiles(folder, "model*")) File.Delete(f);
        Write(folder, "model.safetensors", RandomBytes(1500, 11));
        var copy = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/sync", "--path-in-repo", "copy", "--delete", "*.json");
        Assert.True(copy.ExitCode == 0, copy.Stderr);
        // config.json is uploaded again unchanged, so it is not deleted; the shards do not match *.json
        Assert.Equal([("deletedFile", "copy/model.safetensors.index.json"), ("lfsFile", "copy/model.safetensors")], hub.Commits.Last().Lines);
        Assert.Contains("committed 1 file and 1 deletion to org/sync", copy.Stderr);

        // * from the root: the repository becomes the folder (copy/ included: fnmatch's * crosses '/'), .gitattributes stays
        var r = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/sync", "--delete", "*");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string[] deleted = ["copy/config.json", "copy/model-00001-of-00002.safetensors", "copy/model-00002-of-00002.safetensors", "copy/model.safetensors",
            "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"];
        Assert.Equal([.. deleted.Select(d => ("deletedFile", d)), ("lfsFile", "model.safetensors")], hub.Commits.Last().Lines);
        Assert.Contains("committed 1 file and 7 deletions to org/sync: 0 large files sent (0 MB), 1 already on the hub, 1 unchanged", r.Stderr);
        Assert.Equal([".gitattributes", "config.json", "model.safetensors"], hub.FilesOf("org/sync").Keys.Order(StringComparer.Ordinal).ToArray());
    }

    internal static HubSettings Settings(MockHub hub, string home, double timeoutSeconds, int retries = 0) =>
        HubEnvironment.Settings(hub, home) with { TimeoutSeconds = timeoutSeconds, Retries = retries };

    [Fact]
    public void ASlowStorageLinkIsNotTakenForAStalledOne()
    {
        // 64 MiB read 1 MiB per 150 ms take about 9.6 s: longer than the 5 s timeout, which may only cut a body that stops
        // moving (5 s, not 3: on a loaded 2-core host the mock's answer after the last byte once took over 3 s)
        using var hub = new MockHub { StorageThrottle = (1 << 20, 150) };
        string folder = Path.Combine(TestPaths.NewTempDir(), "model");
        byte[] weights = RandomBytes(64 << 20, 12);
        Write(folder, "model.safetensors", weights);
        using var uploader = new HubUploader(Settings(hub, Path.Combine(folder, "..", "hf"), timeoutSeconds: 5));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var done = uploader.Upload(new HubUploadRequest { Repo = "org/slow", Source = folder });
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(6), $"the storage took {clock.Elapsed}: not slower than the timeout, so this proves nothing");
        Assert.Equal((1, 1), (done.FilesCommitted, done.LargeFilesSent));
        Assert.Equal(weights, hub.FilesOf("org/slow")["model.safetensors"]);
    }

    /// <summary>
    /// The stall found with the body sent whole and waiting for the answer (3000 bytes fit the socket's buffers) and with
    /// the body stuck midway (16 MiB do not); also with pool threads blocked as the hub tests running beside it block them
    /// (a hang, a gate, a slow read): the requests before the PUT must still be answered within the 3 s timeout (once seen
    /// failing with "cannot reach").
    /// </summary>
    [Theory]
    [InlineData(3000, 0)]
    [InlineData(16 << 20, 0)]
    [InlineData(3000, 24)]
    public void AStalledStorageLinkIsOneLine(int bytes, int busyPoolThreads)
    {
        using var hub = new MockHub { StorageHangMs = 9000 };
        string folder = Path.Combine(TestPaths.NewTempDir(), "model");
        Write(folder, "model.safetensors", RandomBytes(bytes, 13));
        using var uploader = new HubUploader(Settings(hub, Path.Combine(folder, "..", "hf"), timeoutSeconds: 3));
        for (int i = 0; i < busyPoolThreads; i++) ThreadPool.QueueUserWorkItem(_ => Thread.Sleep(4000));
        var e = Assert.Throws<HubException>(() => uploader.Upload(new HubUploadRequest { Repo = "org/stall", Source = folder }));
        Assert.True(hub.Requests.Any(r => r.StartsWith("PUT /storage/", StringComparison.Ordinal)), $"the upload never reached the storage: {e.Message}");
        Assert.Contains("sending model.safetensors stalled", e.Message);
        Assert.Contains("run again", e.Message);
        Assert.Empty(hub.Commits);
    }

    [Fact]
    public void EveryRefusalIsOneLine()
    {
        using var hub = new MockHub();
        string folder = CopyOfFixture();
        string home = Path.Combine(Path.GetDirectoryName(folder)!, "hf");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, null, "--folder", folder, "--repo", "org/m"), 1, "needs a token", "HF_TOKEN");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.ReadOnlyToken, "--folder", folder, "--repo", "org/m"), 1,
            "org/m", "HTTP 403", "write access");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, "hf_wrong", "--folder", folder, "--repo", "org/m"), 1, "org/m", "HTTP 401", "token was refused");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder + "-missing", "--repo", "org/m"), 1, "no such file or folder");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--repo", "org/m"), 2, "--folder", "--file");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--file", Path.Combine(folder, "config.json"), "--repo", "org/m"), 2,
            "--folder", "--file");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--file", Path.Combine(folder, "config.json"), "--repo", "org/m", "--delete", "*"), 2,
            "--delete", "--file");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "not a repo"), 2, "--repo", "org/name");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/m", "--revision", "dev", "--create-pr"), 2,
            "--create-pr", "--revision");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/m", "--include", "*.nothing"), 1,
            "no files to upload");
        SkaldProcess.AssertUserError(Upload(home, $"http://127.0.0.1:{MockHub.FreePort()}", MockHub.Token, "--folder", folder, "--repo", "org/m"), 1,
            "cannot reach", "run again");
        SkaldProcess.AssertUserError(SkaldProcess.RunWith(null, Env(home, hub.Endpoint, MockHub.Token, offline: true), "upload", "--folder", folder, "--repo", "org/m"),
            1, "HF_HUB_OFFLINE");
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/m", "--revision", "no-such-branch"), 1,
            "org/m", "HTTP 404");
        Assert.Empty(hub.Commits);
        Assert.Empty(hub.StoragePuts);
    }

    [Theory]
    [InlineData("config.json", "*.json", true)]
    [InlineData("1_Pooling/config.json", "*.json", true)] // fnmatch's * crosses '/'
    [InlineData("a/b/c.txt", "a/", true)] // a folder pattern: everything under it
    [InlineData("ab/c", "a/", false)]
    [InlineData("x.bin", "[!a-w].bin", true)]
    [InlineData("a.bin", "[!a-w].bin", false)]
    [InlineData("checkpoint-10/x", "checkpoint-*/*", true)]
    [InlineData("a]b", "a]b", true)]
    [InlineData("a[b", "a[b", true)] // an unclosed '[' is a plain character
    [InlineData("f1.txt", "f?.txt", true)]
    [InlineData("f12.txt", "f?.txt", false)]
    [InlineData("README.md", "readme.md", false)] // case-sensitive, as on POSIX
    public void PatternsMatchAsPythonsFnmatch(string path, string pattern, bool expected) =>
        Assert.Equal(expected, PathPattern.Matches(path, pattern));

    [Theory]
    [InlineData(".git/HEAD")]
    [InlineData("sub/.git/HEAD")]
    [InlineData(".cache/huggingface/upload/x.lock")]
    [InlineData("sub/.cache/huggingface")]
    public void GitAndTheHubCacheAreNeverUploaded(string path) => Assert.False(PathPattern.Keeps(path, [], []));
}
