using System.Collections.Concurrent;
using Skald.Hub;
using static Skald.Cli.Tests.Hub.HubUploadTests;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// Large files sent from several workers (<c>skald upload --workers N</c>, <see cref="HubUploadRequest.Workers"/>) against
/// <see cref="MockHub"/>: its <see cref="MockHub.StorageGate"/> holds each storage PUT until N are in flight, so the
/// most PUTs it saw at once (<see cref="MockHub.MaxStorageInFlight"/>) is N when they overlap and 1 when they go one at a
/// time; whole files and the parts of a multipart upload overlap, never more than N; the hub ends holding every file's
/// bytes, each object sent once; progress never goes back; a file that fails stops the run with one line naming it and
/// no commit, and the run again sends only that file; a run killed (SIGKILL) with several files in flight made no commit
/// and the run again sends only the objects the storage lacks.
/// </summary>
public sealed class HubUploadWorkersTests
{
    private static (string Folder, string Home, Dictionary<string, byte[]> Large) Folder(int largeFiles, int size = 3000)
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "model");
        var large = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < largeFiles; i++)
        {
            large[$"model-{i:00}.safetensors"] = RandomBytes(size + 100 * i, 70 + i);
            Write(folder, $"model-{i:00}.safetensors", large[$"model-{i:00}.safetensors"]);
        }
        Write(folder, "config.json", "{\"model_type\": \"bert\"}"u8.ToArray());
        return (folder, Path.Combine(Path.GetDirectoryName(folder)!, "hf"), large);
    }

    private static void AssertHolds(MockHub hub, string repo, Dictionary<string, byte[]> large)
    {
        var files = hub.FilesOf(repo);
        foreach (var (name, content) in large) Assert.Equal(content, files[name]);
    }

    [Fact]
    public void LargeFilesGoFromSeveralWorkersAtOnceAndArriveWhole()
    {
        using var hub = new MockHub { StorageGate = 3 };
        var (folder, home, large) = Folder(5);
        var r = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/workers", "--workers", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(3, hub.MaxStorageInFlight); // three at once, never a fourth
        Assert.Equal(large.Values.Select(Sha256).Order(StringComparer.Ordinal), hub.StoragePuts.Select(p => p.Oid).Order(StringComparer.Ordinal)); // each once
        var commit = Assert.Single(hub.Commits); // all of them in the one commit, after every PUT
        Assert.Equal([("file", "config.json"), .. large.Keys.Select(k => ("lfsFile", k))], commit.Lines); // in path order
        Assert.Contains("committed 6 files to org/workers: 5 large files sent", r.Stderr);
        AssertHolds(hub, "org/workers", large);
    }

    [Fact]
    public void ThePartsOfAMultipartUploadOverlapToo()
    {
        using var hub = new MockHub { MultipartAbove = 2500, PartSize = 1000, StorageGate = 3 };
        var (folder, home, large) = Folder(1, size: 4500);
        var r = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/parts", "--workers", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(3, hub.MaxStorageInFlight);
        string oid = Sha256(large["model-00.safetensors"]);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"{oid}/part/{i}").Order(StringComparer.Ordinal), hub.StoragePuts.Select(p => p.Oid).Order(StringComparer.Ordinal));
        Assert.Equal([500L, 1000, 1000, 1000, 1000], hub.StoragePuts.Select(p => p.Length).Order().ToArray());
        AssertHolds(hub, "org/parts", large); // reassembled in part order
    }

    [Fact]
    public void TheDefaultIsFourWorkersAndProgressNeverGoesBack()
    {
        using var hub = new MockHub { StorageGate = 4, MultipartAbove = 3200, PartSize = 1000 };
        var (folder, home, large) = Folder(6);
        var collected = new ConcurrentQueue<HubProgress>();
        var settings = Settings(hub, home);
        using var uploader = new HubUploader(settings);
        var done = uploader.Upload(new HubUploadRequest { Repo = "org/default", Source = folder }, new Collector(collected));
        var reports = collected.ToArray(); // in the order reported
        Assert.Equal(4, hub.MaxStorageInFlight);
        Assert.Equal((6, large.Values.Sum(v => (long)v.Length)), (done.LargeFilesSent, done.BytesSent));
        Assert.All(reports.Zip(reports.Skip(1)), p => Assert.True(p.Second.Bytes >= p.First.Bytes && p.Second.Files >= p.First.Files, $"{p.First} then {p.Second}"));
        Assert.Equal(new HubProgress(done.BytesSent, done.BytesSent, 6, 6), reports[^1]);
        AssertHolds(hub, "org/default", large);
    }

    [Fact]
    public void AFileThatFailsStopsTheRunWithOneLineNamingItAndNoCommitThenTheRunAgainSendsOnlyIt()
    {
        using var hub = new MockHub { StorageGate = 4 }; // all four in flight before the storage answers any
        var (folder, home, large) = Folder(4);
        byte[] failing = large["model-02.safetensors"];
        hub.FailStorage[Sha256(failing)] = 100;
        var cut = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/failed", "--workers", "4");
        SkaldProcess.AssertUserError(cut, 1, "org/failed", "HTTP 500", "model-02.safetensors", "run again");
        Assert.Empty(hub.Commits); // no half commit
        Assert.All(large.Where(f => f.Key != "model-02.safetensors"), f => Assert.True(hub.Stores(Sha256(f.Value)), f.Key)); // those in flight ended

        hub.FailStorage.Clear();
        int before = hub.StoragePuts.Count;
        var resumed = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/failed");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal([Sha256(failing)], hub.StoragePuts.Skip(before).Select(p => p.Oid).ToArray());
        Assert.Contains("committed 5 files to org/failed: 1 large file sent (0 MB), 3 already on the hub", resumed.Stderr);
        AssertHolds(hub, "org/failed", large);
    }

    [Fact]
    public async Task ARunKilledWithSeveralFilesInFlightResumesWithOnlyWhatTheStorageLacks()
    {
        using var hub = new MockHub { StorageGate = 4 };
        var (folder, home, large) = Folder(4);
        string[] args = ["upload", "--folder", folder, "--repo", "org/killed", "--workers", "4"];
        // one object stored, three more in flight: the uploader dies before the storage answers
        await RunKilledAsync(home, hub.Endpoint, args, kill => hub.ObjectStored = n =>
        {
            if (n == 1) kill();
        });
        hub.ObjectStored = null;
        Assert.Equal(4, hub.MaxStorageInFlight); // it was killed with four files in flight
        Assert.Empty(hub.Commits); // killed before every PUT was answered: no commit at all
        var lacking = large.Values.Select(Sha256).Where(oid => !hub.Stores(oid)).Order(StringComparer.Ordinal).ToArray();

        int before = hub.StoragePuts.Count;
        var resumed = SkaldProcess.RunWith(null, Env(home, hub.Endpoint, MockHub.Token), args);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(lacking, hub.StoragePuts.Skip(before).Select(p => p.Oid).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains($"{lacking.Length} large file{(lacking.Length == 1 ? "" : "s")} sent", resumed.Stderr);
        Assert.Contains($"{4 - lacking.Length} already on the hub", resumed.Stderr);
        AssertHolds(hub, "org/killed", large);
    }

    [Fact]
    public void OneWorkerSendsThemOneAtATimeInPathOrder()
    {
        using var hub = new MockHub();
        var (folder, home, large) = Folder(3);
        var r = Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/one", "--workers", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(1, hub.MaxStorageInFlight);
        Assert.Equal(large.Values.Select(Sha256), hub.StoragePuts.Select(p => p.Oid));
        SkaldProcess.AssertUserError(Upload(home, hub.Endpoint, MockHub.Token, "--folder", folder, "--repo", "org/one", "--workers", "0"), 2, "--workers");
    }

    private sealed class Collector(ConcurrentQueue<HubProgress> reports) : IProgress<HubProgress>
    {
        public void Report(HubProgress value) => reports.Enqueue(value);
    }
}
