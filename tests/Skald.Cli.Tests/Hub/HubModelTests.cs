using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>skald encode --model org/name</c> against <see cref="MockHub"/> on 127.0.0.1 with HF_ENDPOINT and HF_HOME set to
/// temp folders: the cache is huggingface_hub's layout, a second run works offline, a cut download resumes, a corrupt
/// download is refused, a repository with torch.save weights only is fetched without its other pickles, and 404 / 401 /
/// no network / other pickles only each give one line.
/// </summary>
public sealed class HubModelTests
{
    private const string Fixture = "bert-cased-mean";

    private static MockRepo Bert(string id = "skald-test/bert", bool isPrivate = false) =>
        MockRepo.FromFolder(id, TestPaths.FixtureModel(Fixture), new Dictionary<string, byte[]>
        {
            ["pytorch_model.bin"] = Encoding.ASCII.GetBytes("pickle weights that must not be fetched"),
            ["onnx/model.onnx"] = [1, 2, 3],
            ["README.md"] = Encoding.ASCII.GetBytes("# card"),
        }, isPrivate);

    private static (string Dir, string Input, string Output, List<float[]> Expected) Texts()
    {
        string dir = TestPaths.NewTempDir();
        var texts = new List<string>();
        var expected = new List<float[]>();
        foreach (var line in File.ReadLines(Path.Combine(TestPaths.FixtureModel(Fixture), "expected.jsonl")).Where(l => l.Length > 0).Take(4))
        {
            using var doc = JsonDocument.Parse(line);
            texts.Add(doc.RootElement.GetProperty("text").GetString()!);
            expected.Add([.. doc.RootElement.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle())]);
        }
        string input = Path.Combine(dir, "texts.jsonl");
        File.WriteAllLines(input, texts.Select(t => JsonSerializer.Serialize(new { text = t })));
        return (dir, input, Path.Combine(dir, "out.jsonl"), expected);
    }

    private static SkaldProcess.Result Encode(string dir, Dictionary<string, string> env, string model, string input, string output) =>
        SkaldProcess.RunWith(dir, env, "encode", "--model", model, "--input", input, "--output", output);

    private static void AssertEmbeddings(string output, List<float[]> expected)
    {
        var lines = File.ReadAllLines(output);
        Assert.Equal(expected.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var actual = JsonSerializer.Deserialize<float[]>(lines[i])!;
            for (int j = 0; j < actual.Length; j++) Assert.True(MathF.Abs(actual[j] - expected[i][j]) <= 1e-5f, $"line {i + 1} component {j}");
        }
    }

    [Fact]
    public void DownloadsIntoTheHuggingFaceLayoutThenWorksOffline()
    {
        var repo = Bert();
        using var hub = new MockHub(repo);
        var (dir, input, output, expected) = Texts();
        string home = Path.Combine(dir, "hf");
        var r = Encode(dir, Env(home, hub.Endpoint), "skald-test/bert", input, output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertEmbeddings(output, expected);
        Assert.DoesNotContain("downloading", r.Stderr); // the download bar is drawn on a terminal only (stderr is redirected here)

        string storage = Path.Combine(home, "hub", "models--skald-test--bert");
        Assert.Equal(repo.Commit, File.ReadAllText(Path.Combine(storage, "refs", "main")));
        Assert.True(File.Exists(Path.Combine(home, "hub", "CACHEDIR.TAG")));
        string snapshot = Path.Combine(storage, "snapshots", repo.Commit);
        string[] wanted = ["config.json", "config_sentence_transformers.json", "modules.json", "sentence_bert_config.json", "special_tokens_map.json",
            "tokenizer.json", "tokenizer_config.json", "model.safetensors", "1_Pooling/config.json"];
        foreach (string f in wanted)
        {
            // huggingface_hub's pointer: a relative link from the snapshot to ../../blobs/{etag} (one ../ more per folder)
            var link = new FileInfo(Path.Combine(snapshot, f));
            string up = string.Concat(Enumerable.Repeat("../", 2 + f.Count(c => c == '/')));
            Assert.Equal($"{up}blobs/{MockRepo.Etag(f, repo.Files[f])}", link.LinkTarget);
            Assert.Equal(repo.Files[f], File.ReadAllBytes(link.FullName));
        }
        var snapshotFiles = Directory.GetFiles(snapshot, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(snapshot, f)).Order().ToArray();
        Assert.Equal(wanted.Order().ToArray(), snapshotFiles); // no pickle, ONNX, card, or the fixture's expected_*.jsonl data files
        var blobNames = Directory.GetFiles(Path.Combine(storage, "blobs")).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(wanted.Select(f => MockRepo.Etag(f, repo.Files[f])).Distinct().Order().ToArray(), blobNames);
        Assert.DoesNotContain(hub.Requests, q => q.Contains("pytorch_model.bin", StringComparison.Ordinal));

        // second run: HF_HUB_OFFLINE=1 and a dead endpoint: the cache alone answers, nothing is requested
        int before = hub.Requests.Count;
        File.Delete(output);
        var offline = Encode(dir, Env(home, $"http://127.0.0.1:{MockHub.FreePort()}", offline: true), "skald-test/bert", input, output);
        Assert.True(offline.ExitCode == 0, offline.Stderr);
        AssertEmbeddings(output, expected);
        Assert.Equal(before, hub.Requests.Count);

        // online again: the snapshot is complete, so only the revision is asked (no HEAD, no download)
        var again = Encode(dir, Env(home, hub.Endpoint), "skald-test/bert@main", input, output);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(["GET /api/models/skald-test/bert/revision/main"], hub.Requests.Skip(before).ToArray());
    }

    [Fact]
    public void CutDownloadsResumeWithRangeRequests()
    {
        var repo = Bert();
        using var hub = new MockHub(repo);
        var (dir, input, output, expected) = Texts();
        string home = Path.Combine(dir, "hf");
        byte[] weights = repo.Files["model.safetensors"];
        string etag = MockRepo.Etag("model.safetensors", weights);
        // an earlier process left the first 1000 bytes; this one's first body is cut after half of the rest
        string blobs = Path.Combine(home, "hub", "models--skald-test--bert", "blobs");
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, etag + ".incomplete"), weights[..1000]);
        hub.DropOnce["model.safetensors"] = true;
        var r = Encode(dir, Env(home, hub.Endpoint), "skald-test/bert", input, output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertEmbeddings(output, expected);
        var gets = hub.Requests.Where(q => q.StartsWith($"GET /cdn/{etag}", StringComparison.Ordinal)).ToArray();
        int afterCut = 1000 + (weights.Length - 1000) / 2;
        Assert.Equal([$"GET /cdn/{etag} bytes=1000-", $"GET /cdn/{etag} bytes={afterCut}-"], gets);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(blobs, etag)));
        Assert.False(File.Exists(Path.Combine(blobs, etag + ".incomplete")));
    }

    [Fact]
    public void CorruptDownloadIsRefusedAndNotCached()
    {
        var repo = Bert();
        using var hub = new MockHub(repo);
        hub.Corrupt["model.safetensors"] = true;
        var (dir, input, output, _) = Texts();
        string home = Path.Combine(dir, "hf");
        var r = Encode(dir, Env(home, hub.Endpoint), "skald-test/bert", input, output);
        SkaldProcess.AssertUserError(r, 1, "skald-test/bert", "model.safetensors", "corrupt");
        string blobs = Path.Combine(home, "hub", "models--skald-test--bert", "blobs");
        string etag = MockRepo.Etag("model.safetensors", repo.Files["model.safetensors"]);
        Assert.False(File.Exists(Path.Combine(blobs, etag)));
        Assert.False(File.Exists(Path.Combine(blobs, etag + ".incomplete")));
    }

    [Fact]
    public void ACorruptCachedBlobIsNamedOfflineAndFetchedAgainOnline()
    {
        var repo = Bert();
        using var hub = new MockHub(repo);
        var (dir, input, output, expected) = Texts();
        string home = Path.Combine(dir, "hf");
        Assert.Equal(0, Encode(dir, Env(home, hub.Endpoint), "skald-test/bert", input, output).ExitCode);
        string etag = MockRepo.Etag("model.safetensors", repo.Files["model.safetensors"]);
        string blob = Path.Combine(home, "hub", "models--skald-test--bert", "blobs", etag);
        // the checked blob's size and time are recorded beside its lock, so a later resolve does not hash it again
        string record = Path.Combine(home, "hub", ".locks", "models--skald-test--bert", etag + ".verified");
        Assert.Equal($"{new FileInfo(blob).Length} {new FileInfo(blob).LastWriteTimeUtc.Ticks}", File.ReadAllText(record));
        byte[] bytes = File.ReadAllBytes(blob);
        bytes[^1] ^= 0x5A; // a flipped bit on disk, after the download was checked (the rewrite changes the blob's time)
        File.WriteAllBytes(blob, bytes);
        File.SetLastWriteTimeUtc(blob, new FileInfo(blob).LastWriteTimeUtc.AddSeconds(1));

        var offline = Encode(dir, Env(home, hub.Endpoint, offline: true), "skald-test/bert", input, output);
        SkaldProcess.AssertUserError(offline, 1, "skald-test/bert", "model.safetensors", "corrupt");
        Assert.False(File.Exists(blob));

        int before = hub.Requests.Count;
        var online = Encode(dir, Env(home, hub.Endpoint), "skald-test/bert", input, output);
        Assert.True(online.ExitCode == 0, online.Stderr);
        AssertEmbeddings(output, expected);
        Assert.Equal(repo.Files["model.safetensors"], File.ReadAllBytes(blob));
        Assert.Single(hub.Requests.Skip(before), q => q.StartsWith("GET /cdn/", StringComparison.Ordinal));
    }

    [Fact]
    public void PrivateRepositoriesNeedTheToken()
    {
        using var hub = new MockHub(Bert("skald-test/private", isPrivate: true));
        var (dir, input, output, expected) = Texts();
        string home = Path.Combine(dir, "hf");
        var denied = Encode(dir, Env(home, hub.Endpoint), "skald-test/private", input, output);
        SkaldProcess.AssertUserError(denied, 1, "skald-test/private", "401", "HF_TOKEN");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(home, "token"), MockHub.Token + "\n"); // huggingface_hub's token file
        var allowed = Encode(dir, Env(home, hub.Endpoint), "skald-test/private", input, output);
        Assert.True(allowed.ExitCode == 0, allowed.Stderr);
        AssertEmbeddings(output, expected);
    }

    [Fact]
    public void ARepositoryWithTorchSaveWeightsOnlyIsFetchedAndEncodes()
    {
        // bert-cased-mean's weights as pytorch_model-0000{1,2}-of-00002.bin + pytorch_model.bin.index.json, no safetensors
        var repo = MockRepo.FromFolder("skald-test/bert-bin", TestPaths.FixtureModel(Path.Combine("torch-bin", "bert-sharded")),
            new Dictionary<string, byte[]> { ["training_args.bin"] = [1, 2, 3], ["model.ckpt"] = [4, 5, 6] });
        using var hub = new MockHub(repo);
        var (dir, input, output, expected) = Texts();
        var r = Encode(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "skald-test/bert-bin", input, output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertEmbeddings(output, expected);
        Assert.Contains(hub.Requests, q => q.Contains("pytorch_model-00002-of-00002.bin", StringComparison.Ordinal));
        Assert.DoesNotContain(hub.Requests, q => q.Contains("training_args.bin", StringComparison.Ordinal) || q.Contains("model.ckpt", StringComparison.Ordinal));
    }

    [Fact]
    public void BadHubIdsGiveOneLine()
    {
        var pickle = new MockRepo("skald-test/pickle", new Dictionary<string, byte[]>
        {
            ["config.json"] = File.ReadAllBytes(Path.Combine(TestPaths.FixtureModel(Fixture), "config.json")),
            ["model.ckpt"] = [1, 2, 3],
        });
        using var hub = new MockHub(Bert(), pickle);
        var (dir, input, output, _) = Texts();
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        SkaldProcess.AssertUserError(Encode(dir, env, "skald-test/nothing", input, output), 1, "no such local folder", "skald-test/nothing", "not found", "404");
        SkaldProcess.AssertUserError(Encode(dir, env, "skald-test/bert@v9", input, output), 1, "revision v9 not found");
        SkaldProcess.AssertUserError(Encode(dir, env, "skald-test/pickle", input, output), 1, "has no safetensors or pytorch_model.bin", "model.ckpt");
        var dead = Env(Path.Combine(dir, "hf"), $"http://127.0.0.1:{MockHub.FreePort()}");
        SkaldProcess.AssertUserError(Encode(dir, dead, "skald-test/bert", input, output), 1, "cannot reach", "no such local folder", "not in the hub cache");
        var offline = Env(Path.Combine(dir, "hf"), hub.Endpoint, offline: true);
        SkaldProcess.AssertUserError(Encode(dir, offline, "skald-test/bert", input, output), 1, "HF_HUB_OFFLINE");
    }

    [Fact]
    public async Task TwoProcessesFetchEachBlobOnceAndRenamedReposAreFollowed()
    {
        var repo = Bert();
        using var hub = new MockHub(repo) { CdnDelay = 1500 };
        hub.Renamed["skald-test/old-bert"] = "skald-test/bert";
        var (dir, input, _, expected) = Texts();
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        string out1 = Path.Combine(dir, "a.jsonl"), out2 = Path.Combine(dir, "b.jsonl");
        var first = Task.Run(() => Encode(dir, env, "skald-test/bert", input, out1));
        var second = Task.Run(() => Encode(dir, env, "skald-test/bert", input, out2));
        var (a, b) = (await first, await second);
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.True(b.ExitCode == 0, b.Stderr);
        AssertEmbeddings(out1, expected);
        AssertEmbeddings(out2, expected);
        // the .locks/{etag}.lock file serialises the two: the second finds the blob and only links it
        string etag = MockRepo.Etag("model.safetensors", repo.Files["model.safetensors"]);
        Assert.Single(hub.Requests, q => q.StartsWith($"GET /cdn/{etag}", StringComparison.Ordinal));
        Assert.All(repo.Files.Keys.Where(f => !MockRepo.IsLfs(f)),
            f => Assert.True(hub.Requests.Count(q => q == $"GET /skald-test/bert/resolve/{repo.Commit}/{f}") <= 1, f));
        Assert.True(Directory.Exists(Path.Combine(dir, "hf", "hub", ".locks", "models--skald-test--bert")));

        // a renamed repository: the API and resolve routes answer 307 to the new name, which is followed
        hub.CdnDelay = 0;
        var renamed = Encode(dir, env, "skald-test/old-bert", input, out2);
        Assert.True(renamed.ExitCode == 0, renamed.Stderr);
        AssertEmbeddings(out2, expected);
        Assert.Contains("GET /api/models/skald-test/bert/revision/main", hub.Requests);
        Assert.Contains($"HEAD /skald-test/old-bert/resolve/{repo.Commit}/config.json", hub.Requests);
        Assert.Contains($"HEAD /skald-test/bert/resolve/{repo.Commit}/config.json", hub.Requests);
    }

    [Fact]
    public void TrainingConfigsTakeAHubId()
    {
        using var hub = new MockHub(Bert());
        string dir = TestPaths.NewTempDir();
        string data = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 8).Select(i => $"{{\"anchor\": \"spørsmål {i}\", \"positive\": \"svar {i}\"}}"));
        string config = Path.Combine(dir, "c.yaml");
        File.WriteAllText(config, $"""
            model:
              path: skald-test/bert
            data:
              train: {data}
            training:
              batch_size: 4
              max_steps: 1
            output:
              dir: {Path.Combine(dir, "out")}
            """);
        // skald train loads through SentenceEncoder.Load, which resolves the id itself
        var r = SkaldProcess.RunWith(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "train", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var cards = Directory.GetFiles(Path.Combine(dir, "out"), "README.md", SearchOption.AllDirectories);
        Assert.NotEmpty(cards);
        Assert.Contains("base_model: skald-test/bert", File.ReadAllText(cards[0]));
    }

    [Fact]
    public void BenchmarksTakeHubIdsAndNameThemByTheId()
    {
        // a model and a two-stage FIRST>CE spec given by hub ids score as their local folders; the report names the ids
        var ce = MockRepo.FromFolder("skald-test/ce", TestPaths.FixtureModel("ce-bert"));
        using var hub = new MockHub(Bert(), ce);
        string dir = TestPaths.NewTempDir(), suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, JsonSerializer.Serialize(new
        {
            name = "s",
            tasks = new[] { new { path = SampleRetrievalHead(24), name = "retrieval" } },
        }));
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        Dictionary<string, double> Means(string models, string name)
        {
            var r = SkaldProcess.RunWith(dir, env, "benchmark", "--models", models, "--suite", suite, "--output", Path.Combine(dir, name), "--no-cache");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, name + ".json")))!;
            return report["models"]!.AsArray().ToDictionary(m => (string)m!["name"]!, m => (double)m!["mean"]!);
        }
        string bert = TestPaths.FixtureModel(Fixture), reranker = TestPaths.FixtureModel("ce-bert");
        var local = Means($"{bert},{bert}>{reranker}", "local");
        var remote = Means("skald-test/bert,skald-test/bert>skald-test/ce", "remote");
        Assert.Equal(["skald-test/bert", "skald-test/bert>skald-test/ce"], remote.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(local[Fixture], remote["skald-test/bert"]);
        Assert.Equal(local[Fixture + ">ce-bert"], remote["skald-test/bert>skald-test/ce"]);
    }

    /// <summary>
    /// The sample retrieval task with its first <paramref name="queries"/> queries and their judgements (the whole
    /// corpus): what a benchmark names and scores does not depend on how many queries it asks, and the cross-encoder
    /// stage reranks each query's candidates, so fewer queries keep the two runs short.
    /// </summary>
    private static string SampleRetrievalHead(int queries)
    {
        string task = Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval");
        var head = File.ReadLines(Path.Combine(task, "queries.jsonl")).Where(l => l.Length > 0).Take(queries).ToList();
        var ids = head.Select(l => JsonNode.Parse(l)!["_id"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var qrels = File.ReadLines(Path.Combine(task, "qrels", "test.tsv")).Select((l, i) => (l, i))
            .Where(x => x.i == 0 || ids.Contains(x.l.Split('\t')[0])).Select(x => x.l);
        return BeirFolder.Write(File.ReadAllText(Path.Combine(task, "corpus.jsonl")), string.Join('\n', head) + "\n", string.Join('\n', qrels) + "\n");
    }

    [Fact]
    public void APipelinesAnswerStageTakesAHubId()
    {
        // the same answer stage with the decoder as a folder and as a hub id (fetched into the cache) answers alike
        string decoder = ChatModelFolder.Create("decoder-qwen2");
        var repo = MockRepo.FromFolder("skald-test/qwen2-chat", decoder);
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir(), task = Path.Combine(TestPaths.RepoRoot, "configs", "instruction-study", "task-sv.jsonl");
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        string[] Answers(string model, string name)
        {
            string config = Path.Combine(dir, name + ".yaml"), output = Path.Combine(dir, name);
            File.WriteAllText(config, $"output: {output}\nstages:\n  - {{name: said, type: answer, model: '{model}', task: '{task}', max_new_tokens: 6}}\n");
            var r = SkaldProcess.RunWith(dir, env, "pipeline", "--config", config);
            Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
            return File.ReadAllLines(Path.Combine(output, "said.jsonl"));
        }
        var local = Answers(decoder, "local");
        Assert.NotEmpty(local);
        Assert.Equal(local, Answers(repo.Id, "remote"));
    }

    [Fact]
    public void ALocalFolderWinsOverAHubId()
    {
        var (dir, input, output, expected) = Texts();
        string local = Path.Combine(dir, "skald-test", "bert");
        foreach (string f in Directory.GetFiles(TestPaths.FixtureModel(Fixture), "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(local, Path.GetRelativePath(TestPaths.FixtureModel(Fixture), f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        var env = Env(Path.Combine(dir, "hf"), $"http://127.0.0.1:{MockHub.FreePort()}");
        var r = Encode(dir, env, "skald-test/bert", input, output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertEmbeddings(output, expected);
        Assert.False(Directory.Exists(Path.Combine(dir, "hf")));
    }
}
