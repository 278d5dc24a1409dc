using System.Text;
using System.Text.Json.Nodes;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>skald evaluate --task org/name[@rev][:split]</c> and a benchmark suite's <c>"dataset"</c> task against
/// <see cref="MockHub"/>: an MTEB-style retrieval repository (corpus / queries / qrels Parquet configurations, the corpus
/// in two shards, ids in <c>_id</c> or <c>id</c>), an STS repository and a classification repository (train and test
/// splits) score exactly as their local Parquet twins, only the split(s) needed are fetched, the task is named after the
/// repository, and a second run works offline (issue 17).
/// </summary>
public sealed class HubTaskTests
{
    private static readonly string[] Docs =
    [
        "Bergen ligger på Vestlandet og er kjent for regn.", "Oslo er hovedstaden i Norge.",
        "Trondheim har Nidarosdomen.", "Stavanger er kjent for olje.", "Tromsø ligger nord for polarsirkelen.",
    ];

    private static readonly string[] Questions = ["Hvor ligger Bergen?", "Hva er hovedstaden i Norge?", "Hvilken by har Nidarosdomen?", "Hvor regner det mye?"];
    private static readonly string[] Qid = ["q0", "q1", "q2", "q3", "q3"];
    private static readonly string[] Did = ["d0", "d1", "d2", "d0", "d3"];
    private static readonly long[] Grade = [1, 1, 2, 1, 0];
    private static readonly string[] S1 = ["Hunden sover.", "Det regner i Bergen.", "Barna leker ute.", "Han spiller gitar.", "Bilen er rød."];
    private static readonly string[] S2 = ["En hund hviler.", "Det er sol i Oslo.", "Ungene er ute og leker.", "Han spiser middag.", "Den røde bilen."];
    private static readonly long[] Scores = [5, 1, 4, 0, 4];

    private static string[] Ids(string prefix, int from, int count) => [.. Enumerable.Range(from, count).Select(i => prefix + i)];

    private static byte[] Corpus(int from, int count, string id = "_id") => ParquetFixture.Bytes((id, Ids("d", from, count)), ("text", Docs[from..(from + count)]));

    private static byte[] Queries(string id = "_id") => ParquetFixture.Bytes((id, Ids("q", 0, Questions.Length)), ("text", Questions));

    private static byte[] Qrels(int take) => ParquetFixture.Bytes(("query-id", Qid[..take]), ("corpus-id", Did[..take]), ("score", Grade[..take]));

    /// <summary>MTEB's layout: configurations corpus, queries and default (the qrels, one file per split).</summary>
    private static MockRepo Retrieval() => new("skald-test/byer-retrieval-nb", new Dictionary<string, byte[]>
    {
        ["README.md"] = Encoding.ASCII.GetBytes("---\nconfigs: []\n---\n"),
        ["corpus/corpus-00000-of-00002.parquet"] = Corpus(0, 3),
        ["corpus/corpus-00001-of-00002.parquet"] = Corpus(3, 2),
        ["queries/queries-00000-of-00001.parquet"] = Queries(),
        ["default/test-00000-of-00001.parquet"] = Qrels(5),
        ["default/dev-00000-of-00001.parquet"] = Qrels(2),
    }, dataset: true);

    private static MockRepo Sts() => new("skald-test/sts-nb", new Dictionary<string, byte[]>
    {
        ["data/test-00000-of-00001.parquet"] = ParquetFixture.Bytes(("sentence1", S1), ("sentence2", S2), ("score", Scores)),
        ["data/train-00000-of-00001.parquet"] = ParquetFixture.Bytes(("sentence1", S1[..2]), ("sentence2", S2[..2]), ("score", Scores[..2])),
    }, dataset: true);

    private static JsonNode Evaluate(string dir, Dictionary<string, string>? env, string task, params string[] extra) =>
        EvaluateRuns.Evaluate(dir, env, ["--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", task, .. extra]);

    private static string LocalRetrieval(string dir)
    {
        string folder = Path.Combine(dir, "local-retrieval");
        Directory.CreateDirectory(Path.Combine(folder, "qrels"));
        File.WriteAllBytes(Path.Combine(folder, "corpus.parquet"), Corpus(0, Docs.Length));
        File.WriteAllBytes(Path.Combine(folder, "queries.parquet"), Queries());
        File.WriteAllBytes(Path.Combine(folder, "qrels", "test.parquet"), Qrels(5));
        return folder;
    }

    [Fact]
    public void ARetrievalDatasetIdScoresAsItsLocalTwinThenWorksOffline()
    {
        var repo = Retrieval();
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        var local = Evaluate(dir, null, LocalRetrieval(dir));
        var remote = Evaluate(dir, Env(home, hub.Endpoint), repo.Id);
        Assert.Equal("byer-retrieval-nb", (string?)remote["task"]);
        Assert.Equal("nb", (string?)remote["language"]);
        Assert.Equal("retrieval", (string?)remote["type"]);
        Assert.Equal(local["metrics"]!.ToJsonString(), remote["metrics"]!.ToJsonString());

        // huggingface_hub's layout; the dev judgements and the card are not fetched
        string snapshot = Path.Combine(home, "hub", "datasets--skald-test--byer-retrieval-nb", "snapshots", repo.Commit);
        Assert.Equal(["corpus/corpus-00000-of-00002.parquet", "corpus/corpus-00001-of-00002.parquet", "default/test-00000-of-00001.parquet",
            "queries/queries-00000-of-00001.parquet"], Directory.GetFiles(snapshot, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(snapshot, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray());
        Assert.DoesNotContain(hub.Requests, q => q.Contains("dev-0000", StringComparison.Ordinal) || q.Contains("README", StringComparison.Ordinal));

        // offline with a dead endpoint: the cache alone answers
        int before = hub.Requests.Count;
        var offline = Evaluate(dir, Env(home, $"http://127.0.0.1:{MockHub.FreePort()}", offline: true), repo.Id);
        Assert.Equal(local["metrics"]!.ToJsonString(), offline["metrics"]!.ToJsonString());
        Assert.Equal(before, hub.Requests.Count);

        // another split by name: only its judgements are fetched
        var dev = Evaluate(dir, Env(home, hub.Endpoint), repo.Id + ":dev");
        Assert.NotEqual(remote["metrics"]!.ToJsonString(), dev["metrics"]!.ToJsonString());
        const string Dev = "default/dev-00000-of-00001.parquet";
        Assert.Equal([$"GET /cdn/{MockRepo.Etag(Dev, repo.Files[Dev])}"], hub.Requests.Skip(before).Where(q => q.StartsWith("GET /cdn/", StringComparison.Ordinal)).ToArray());
    }

    [Fact]
    public void CorporaAndQueriesWithAnIdColumnScoreAsTheirUnderscoreIdTwin()
    {
        // the corpus in two shards (joined into JSON lines) and the queries in one (read as Parquet), both keyed by "id"
        var repo = new MockRepo("skald-test/byer-id-nb", new Dictionary<string, byte[]>
        {
            ["corpus/corpus-00000-of-00002.parquet"] = Corpus(0, 3, "id"),
            ["corpus/corpus-00001-of-00002.parquet"] = Corpus(3, 2, "id"),
            ["queries/queries-00000-of-00001.parquet"] = Queries("id"),
            ["default/test-00000-of-00001.parquet"] = Qrels(5),
        }, dataset: true);
        var noIds = new MockRepo("skald-test/no-ids", new Dictionary<string, byte[]>
        {
            ["corpus/corpus-00000-of-00001.parquet"] = Corpus(0, Docs.Length, "doc"),
            ["queries/queries-00000-of-00001.parquet"] = Queries(),
            ["default/test-00000-of-00001.parquet"] = Qrels(5),
        }, dataset: true);
        using var hub = new MockHub(repo, noIds);
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        var local = Evaluate(dir, null, LocalRetrieval(dir));
        var remote = Evaluate(dir, Env(home, hub.Endpoint), repo.Id);
        Assert.Equal(local["metrics"]!.ToJsonString(), remote["metrics"]!.ToJsonString());

        SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"),
            "--task", noIds.Id), 1, "corpus.parquet:1: missing field \"_id\" (or \"id\")");
    }

    [Fact]
    public void ANumericTextColumnInOneOfSeveralShardsIsNamed()
    {
        // two corpus shards are joined into JSON lines, where every value is a string: the second shard's numeric text
        // column must be refused from its schema before the join, as a single Parquet file's is
        var repo = new MockRepo("skald-test/numeric-shard", new Dictionary<string, byte[]>
        {
            ["corpus/corpus-00000-of-00002.parquet"] = Corpus(0, 3),
            ["corpus/corpus-00001-of-00002.parquet"] = ParquetFixture.Bytes(("_id", Ids("d", 3, 2)), ("text", new long[] { 7, 8 })),
            ["queries/queries-00000-of-00001.parquet"] = Queries(),
            ["default/test-00000-of-00001.parquet"] = Qrels(5),
        }, dataset: true);
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"),
            "--task", repo.Id), 1, "corpus-00001-of-00002.parquet: column 'text' has type int64, not string");
    }

    [Fact]
    public void AClassificationDatasetFitsOnTrainAndScoresOnTestAsItsLocalTwin()
    {
        string[] texts = ["Kampen endte 2-1.", "Laget vant serien.", "Renten stiger igjen.", "Børsen falt i dag.", "Keeperen reddet straffen.", "Inflasjonen er høy."];
        long[] labels = [0, 0, 1, 1, 0, 1];
        byte[] Split(Range r) => ParquetFixture.Bytes(("text", texts[r]), ("label", labels[r]));
        var repo = new MockRepo("skald-test/nyheter-classification-nb", new Dictionary<string, byte[]>
        {
            ["data/train-00000-of-00001.parquet"] = Split(0..4),
            ["data/test-00000-of-00001.parquet"] = Split(4..6),
        }, dataset: true);
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf"), twin = Path.Combine(dir, "nyheter-classification-nb");
        Directory.CreateDirectory(twin);
        File.WriteAllBytes(Path.Combine(twin, "train.parquet"), Split(0..4));
        File.WriteAllBytes(Path.Combine(twin, "test.parquet"), Split(4..6));
        var local = Evaluate(dir, null, twin);
        var remote = Evaluate(dir, Env(home, hub.Endpoint), repo.Id);
        Assert.Equal("classification", (string?)remote["type"]);
        Assert.Equal("nyheter-classification-nb", (string?)remote["task"]);
        Assert.Equal(local["metrics"]!.ToJsonString(), remote["metrics"]!.ToJsonString());
        Assert.Equal("4", (string?)remote["metadata"]?["train"]);

        // offline, the cache alone answers with both splits
        var offline = Evaluate(dir, Env(home, $"http://127.0.0.1:{MockHub.FreePort()}", offline: true), repo.Id);
        Assert.Equal(local["metrics"]!.ToJsonString(), offline["metrics"]!.ToJsonString());
    }

    [Fact]
    public void AnStsDatasetIdScoresAsItsLocalTwinAndSuitesTakeDatasets()
    {
        var repo = Sts();
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        string twin = ParquetFixture.Write(Path.Combine(dir, "sts-nb.parquet"), ("sentence1", S1), ("sentence2", S2), ("score", Scores));
        var local = Evaluate(dir, null, twin);
        var remote = Evaluate(dir, Env(home, hub.Endpoint), repo.Id + "@main");
        Assert.Equal("sts-nb", (string?)remote["task"]);
        Assert.Equal("sts", (string?)remote["type"]);
        Assert.Equal(local["metrics"]!.ToJsonString(), remote["metrics"]!.ToJsonString());
        Assert.DoesNotContain(hub.Requests, q => q.Contains("train-0000", StringComparison.Ordinal));

        // a benchmark suite names hub datasets with "dataset" instead of "path"
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, """{"name": "hub", "tasks": [{"dataset": "skald-test/sts-nb"}, {"dataset": "skald-test/sts-nb:train", "name": "sts-train"}]}""");
        var r = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "benchmark", "--models", TestPaths.FixtureModel("bert-cased-mean"),
            "--suite", suite, "--output", Path.Combine(dir, "report"), "--no-cache");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!.ToJsonString();
        Assert.Contains("sts-nb", report);
        Assert.Contains("sts-train", report);

        SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"),
            "--task", "skald-test/nothing"), 1, "skald-test/nothing", "dataset not found", "404");
        SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"),
            "--task", repo.Id + ":validation"), 1, "no split validation", "splits: test, train");
    }

    [Fact]
    public void AMistypedLocalTaskFolderIsNamedAsOne()
    {
        // "data/xqad-nb" has a hub id's form: the one line said only "no such dataset, not in the hub cache", and sent the
        // user looking on the hub for a folder they had mistyped
        string dir = TestPaths.NewTempDir(), home = TestPaths.NewTempDir();
        Directory.CreateDirectory(Path.Combine(dir, "data", "xquad-nb"));
        SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, Env(home, "http://127.0.0.1:9", offline: true), "evaluate", "--model", "bm25",
            "--task", "data/xqad-nb"), 1, $"data/xqad-nb: no such task file or folder (in {dir}), and as a hub dataset id: ", "HF_HUB_OFFLINE is set");
    }
}
