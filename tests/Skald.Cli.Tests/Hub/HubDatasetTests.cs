using System.Text;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// Datasets by hub id (<c>org/name[@rev][:[subset/]split]</c>) against <see cref="MockHub"/>: <c>skald train</c> reads
/// the Parquet files of the split from the shared cache (<c>datasets--org--name</c>, huggingface_hub's layout), fetching
/// only that split; a second run works offline; a damaged cached blob is found; bad ids give one line (issue 17).
/// </summary>
public sealed class HubDatasetTests
{
    private const string Id = "skald-test/pairs";

    private static byte[] Pairs(int from, int count) => ParquetFixture.Bytes(
        ("anchor", Enumerable.Range(from, count).Select(i => $"spørsmål nummer {i}").ToArray()),
        ("positive", Enumerable.Range(from, count).Select(i => $"svar nummer {i}").ToArray()));

    private static MockRepo Dataset() => new(Id, new Dictionary<string, byte[]>
    {
        ["README.md"] = Encoding.ASCII.GetBytes("---\nlicense: mit\n---\n# pairs"),
        ["data/train-00000-of-00002.parquet"] = Pairs(0, 5),
        ["data/train-00001-of-00002.parquet"] = Pairs(5, 4),
        ["data/test-00000-of-00001.parquet"] = Pairs(100, 3),
    }, dataset: true);

    private static MockRepo Subsets() => new("skald-test/nli", new Dictionary<string, byte[]>
    {
        ["pair/train-00000-of-00001.parquet"] = Pairs(0, 4),
        ["triplet/train-00000-of-00001.parquet"] = Pairs(10, 6),
        ["triplet/dev-00000-of-00001.parquet"] = Pairs(20, 2),
    }, dataset: true);

    private static MockRepo JsonOnly() => new("skald-test/json-only", new Dictionary<string, byte[]>
    {
        ["train.json"] = Encoding.ASCII.GetBytes("[]"),
    }, dataset: true);

    private static SkaldProcess.Result Train(string dir, Dictionary<string, string> env, string data, string output)
    {
        string config = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(config, $"""
            model:
              path: {TestPaths.FixtureModel("bert-cased-mean")}
            data:
              train: "{data}"
            training:
              batch_size: 2
              max_steps: 1
            output:
              dir: {output}
            """);
        return SkaldProcess.RunWith(dir, env, "train", "--config", config);
    }

    [Fact]
    public void TrainsFromADatasetIdInTheHuggingFaceLayoutThenWorksOffline()
    {
        var repo = Dataset();
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        var r = Train(dir, Env(home, hub.Endpoint), Id, Path.Combine(dir, "out1"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("on 9 rows", r.Stderr); // both train shards, not the test split
        Assert.True(Directory.Exists(Path.Combine(dir, "out1", "final")));

        string storage = Path.Combine(home, "hub", "datasets--skald-test--pairs");
        Assert.Equal(repo.Commit, File.ReadAllText(Path.Combine(storage, "refs", "main")));
        string snapshot = Path.Combine(storage, "snapshots", repo.Commit);
        string[] train = ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"];
        foreach (string f in train)
        {
            var link = new FileInfo(Path.Combine(snapshot, f));
            Assert.Equal($"../../../blobs/{MockRepo.Etag(f, repo.Files[f])}", link.LinkTarget);
            Assert.Equal(repo.Files[f], File.ReadAllBytes(link.FullName));
        }
        Assert.Equal(train, Directory.GetFiles(snapshot, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(snapshot, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("GET /api/datasets/skald-test/pairs/revision/main", hub.Requests);
        Assert.Contains($"HEAD /datasets/skald-test/pairs/resolve/{repo.Commit}/data/train-00000-of-00002.parquet", hub.Requests);
        Assert.DoesNotContain(hub.Requests, q => q.Contains("test-00000", StringComparison.Ordinal) || q.Contains("README", StringComparison.Ordinal));

        // offline with a dead endpoint: the cache alone answers, nothing is requested
        int before = hub.Requests.Count;
        var offline = Train(dir, Env(home, $"http://127.0.0.1:{MockHub.FreePort()}", offline: true), Id, Path.Combine(dir, "out2"));
        Assert.True(offline.ExitCode == 0, offline.Stderr);
        Assert.Contains("on 9 rows", offline.Stderr);
        Assert.Equal(before, hub.Requests.Count);

        // a named split is fetched on its own
        var test = Train(dir, Env(home, hub.Endpoint), Id + "@main:test", Path.Combine(dir, "out3"));
        Assert.True(test.ExitCode == 0, test.Stderr);
        Assert.Contains("on 3 rows", test.Stderr);
    }

    [Fact]
    public void ACorruptCachedDatasetBlobIsNamedOfflineAndFetchedAgainOnline()
    {
        var repo = Dataset();
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        Assert.Equal(0, Train(dir, Env(home, hub.Endpoint), Id, Path.Combine(dir, "out1")).ExitCode);
        const string File0 = "data/train-00000-of-00002.parquet";
        string blob = Path.Combine(home, "hub", "datasets--skald-test--pairs", "blobs", MockRepo.Etag(File0, repo.Files[File0]));
        byte[] bytes = File.ReadAllBytes(blob);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(blob, bytes);

        var offline = Train(dir, Env(home, $"http://127.0.0.1:{MockHub.FreePort()}", offline: true), Id, Path.Combine(dir, "out2"));
        SkaldProcess.AssertUserError(offline, 1, Id, File0, "corrupt", "run again with the network");
        Assert.False(File.Exists(blob));

        int before = hub.Requests.Count;
        var online = Train(dir, Env(home, hub.Endpoint), Id, Path.Combine(dir, "out3"));
        Assert.True(online.ExitCode == 0, online.Stderr);
        Assert.Equal(repo.Files[File0], File.ReadAllBytes(blob));
        Assert.Single(hub.Requests.Skip(before), q => q.StartsWith("GET /cdn/", StringComparison.Ordinal));
    }

    [Fact]
    public void SubsetsAndSplitsFollowTheHubConvention()
    {
        using var hub = new MockHub(Subsets());
        string dir = TestPaths.NewTempDir();
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        SkaldProcess.AssertUserError(Train(dir, env, "skald-test/nli", Path.Combine(dir, "o1")), 1,
            "skald-test/nli: split train is in several subsets (pair, triplet)", "skald-test/nli:SUBSET/train");
        var triplet = Train(dir, env, "skald-test/nli:triplet/train", Path.Combine(dir, "o2"));
        Assert.True(triplet.ExitCode == 0, triplet.Stderr);
        Assert.Contains("on 6 rows", triplet.Stderr);
        var dev = Train(dir, env, "skald-test/nli:triplet/validation", Path.Combine(dir, "o3")); // "dev" files are the validation split
        Assert.True(dev.ExitCode == 0, dev.Stderr);
        Assert.Contains("on 2 rows", dev.Stderr);
        SkaldProcess.AssertUserError(Train(dir, env, "skald-test/nli:pair/test", Path.Combine(dir, "o4")), 1,
            "no split test", "splits: train");
    }

    [Fact]
    public void BadDatasetIdsGiveOneLine()
    {
        using var hub = new MockHub(Dataset(), JsonOnly());
        string dir = TestPaths.NewTempDir();
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        string Out() => Path.Combine(dir, Guid.NewGuid().ToString("N"));
        SkaldProcess.AssertUserError(Train(dir, env, "skald-test/nothing", Out()), 1, "skald-test/nothing", "dataset not found", "404");
        SkaldProcess.AssertUserError(Train(dir, env, Id + "@v9", Out()), 1, "revision v9 not found");
        SkaldProcess.AssertUserError(Train(dir, env, "skald-test/json-only", Out()), 1, "no Parquet files", "train.json", "to_parquet");
        var dead = Env(Path.Combine(dir, "hf"), $"http://127.0.0.1:{MockHub.FreePort()}");
        SkaldProcess.AssertUserError(Train(dir, dead, Id, Out()), 1, "cannot reach", "not in the hub cache");
        SkaldProcess.AssertUserError(Train(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint, offline: true), Id, Out()), 1, "HF_HUB_OFFLINE");
        // a missing local file stays a missing file, not a hub lookup
        var missing = Train(dir, env, "nowhere/pairs.jsonl", Out());
        Assert.Equal(1, missing.ExitCode);
        Assert.DoesNotContain(hub.Requests, q => q.Contains("nowhere", StringComparison.Ordinal));
    }
}
