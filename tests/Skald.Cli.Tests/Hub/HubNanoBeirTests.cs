using System.Text.Json.Nodes;
using static Skald.Cli.Tests.Hub.EvaluateRuns;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>skald evaluate --nanobeir</c> against <see cref="MockHub"/> serving two NanoBEIR-shaped repositories as Zeta Alpha
/// publishes them (corpus/, queries/ and qrels/ folders of split train, qrels without a score column): the datasets
/// are fetched through the hub cache and scored under upstream's names, each mean is the mean of the datasets, and a
/// dataset's nDCG@10 and recall@10 are what <c>skald evaluate --task</c> gives its local twin (binary judgements,
/// where sentence-transformers' and trec_eval's definitions agree); a name NanoBEIR lacks and an option of a task are
/// one line each.
/// </summary>
public sealed class HubNanoBeirTests
{
    private static readonly string[] Docs =
    [
        "Bergen ligger på Vestlandet og er kjent for regn.", "Oslo er hovedstaden i Norge.",
        "Trondheim har Nidarosdomen.", "Stavanger er kjent for olje.", "Tromsø ligger nord for polarsirkelen.",
    ];

    private static readonly string[] Questions = ["Hvor ligger Bergen?", "Hva er hovedstaden i Norge?", "Hvilken by har Nidarosdomen?", "Hvor regner det mye?"];
    private static readonly string[] Qid = ["q0", "q1", "q2", "q3", "q3"];
    private static readonly string[] Did = ["d0", "d1", "d2", "d0", "d4"];

    // Zeta Alpha's layout of the first docs documents, the first judgements judgements.
    private static MockRepo Nano(string name, int docs, int judgements) =>
        NanoBeirRepos.ZetaAlpha(name, Docs[..docs], Questions, Qid[..judgements], Did[..judgements]);

    /// <summary>Several NanoBEIR datasets in one repository, as sentence-transformers publishes NanoBEIR-en.</summary>
    private static MockRepo SingleRepo(string id, params (string Name, int Docs, int Judgements)[] sets) =>
        NanoBeirRepos.SentenceTransformers(id, [.. sets.Select(s => (s.Name, Docs[..s.Docs], Questions, Qid[..s.Judgements], Did[..s.Judgements]))]);

    private static JsonNode Run(string dir, Dictionary<string, string>? env, params string[] args) =>
        Evaluate(dir, env, ["--model", TestPaths.FixtureModel("bert-cased-mean"), .. args]);

    [Fact]
    public void TwoDatasetsScoreUnderUpstreamsNamesAndAsTheirLocalTwins()
    {
        using var hub = new MockHub(Nano("NanoMSMARCO", Docs.Length, Qid.Length), Nano("NanoSciFact", 4, 3));
        string dir = TestPaths.NewTempDir();
        var result = Run(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "--nanobeir", "msmarco,SciFact");
        Assert.Equal("NanoBEIR_mean", (string?)result["task"]);
        Assert.Equal("NanoBEIR_mean_cosine_ndcg@10", (string?)result["main_metric"]);
        foreach (string metric in new[] { "accuracy@1", "precision@3", "recall@5", "mrr@10", "ndcg@10", "map@100" })
        {
            double a = Metric(result, "NanoMSMARCO_cosine_" + metric), b = Metric(result, "NanoSciFact_cosine_" + metric);
            Assert.Equal((a + b) / 2, Metric(result, "NanoBEIR_mean_cosine_" + metric), 12);
        }
        Assert.Equal(Metric(result, "NanoBEIR_mean_cosine_ndcg@10"), (double)result["main_score"]!, 12);
        Assert.Equal("4", (string?)result["metadata"]!["NanoMSMARCO.queries"]);

        // the same data as a local BEIR folder (every judgement grade 1)
        string folder = Path.Combine(dir, "local");
        Directory.CreateDirectory(Path.Combine(folder, "qrels"));
        File.WriteAllLines(Path.Combine(folder, "corpus.jsonl"), Docs.Select((t, i) => new JsonObject { ["_id"] = "d" + i, ["text"] = t }.ToJsonString()));
        File.WriteAllLines(Path.Combine(folder, "queries.jsonl"), Questions.Select((t, i) => new JsonObject { ["_id"] = "q" + i, ["text"] = t }.ToJsonString()));
        File.WriteAllLines(Path.Combine(folder, "qrels", "test.tsv"), ["query-id\tcorpus-id\tscore", .. Qid.Select((q, i) => $"{q}\t{Did[i]}\t1")]);
        var local = Run(dir, null, "--task", folder);
        Assert.Equal(Metric(local, "ndcg_at_10"), Metric(result, "NanoMSMARCO_cosine_ndcg@10"), 12);
        Assert.Equal(Metric(local, "recall_at_10"), Metric(result, "NanoMSMARCO_cosine_recall@10"), 12);
        Assert.Equal(Metric(local, "mrr_at_10"), Metric(result, "NanoMSMARCO_cosine_mrr@10"), 12);
    }

    [Fact]
    public void ADatasetIdInTheSingleRepoLayoutReadsEachDatasetsSplitUnderTheSameNames()
    {
        // the single repository on a hub of its own, its Zeta Alpha twins on another: each run can read only its layout
        using var hub = new MockHub(SingleRepo("someone/NanoBEIR-no", ("NanoMSMARCO", Docs.Length, Qid.Length), ("NanoSciFact", 4, 3), ("NanoNQ", 3, 2)));
        using var zetaHub = new MockHub(Nano("NanoMSMARCO", Docs.Length, Qid.Length), Nano("NanoSciFact", 4, 3));
        string dir = TestPaths.NewTempDir();
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        var single = Run(dir, env, "--nanobeir", "msmarco,scifact", "--nanobeir-dataset", "someone/NanoBEIR-no");
        var zeta = Run(dir, Env(Path.Combine(dir, "hf-zeta"), zetaHub.Endpoint), "--nanobeir", "msmarco,scifact");
        Assert.Equal("NanoBEIR_mean_cosine_ndcg@10", (string?)single["main_metric"]);
        Assert.Equal("4", (string?)single["metadata"]!["NanoSciFact.documents"]);
        Assert.Equal("5", (string?)single["metadata"]!["NanoMSMARCO.documents"]);
        var metrics = single["metrics"]!.AsObject();
        Assert.Equal(zeta["metrics"]!.AsObject().Select(m => m.Key), metrics.Select(m => m.Key));
        foreach (var (key, value) in zeta["metrics"]!.AsObject()) Assert.Equal((double)value!, (double)metrics[key]!, 12);

        var r = SkaldProcess.RunWith(dir, env, ["evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "fever", "--nanobeir-dataset", "someone/NanoBEIR-no"]);
        SkaldProcess.AssertUserError(r, 1, "NanoBEIR fever from someone/NanoBEIR-no (subset corpus, split NanoFEVER): ");
        r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", dir, "--nanobeir-dataset", "someone/NanoBEIR-no");
        SkaldProcess.AssertUserError(r, 2, "--nanobeir-dataset goes with --nanobeir");
    }

    /// <summary>
    /// Runs msmarco and scifact with msmarco's own <paramref name="role"/> prompt (<paramref name="option"/>) and scifact's
    /// given as the model's own (<paramref name="own"/>), and checks each dataset scores as a run with that prompt for every
    /// dataset (<paramref name="fallback"/>) or with none; returns the hub's environment.
    /// </summary>
    private static Dictionary<string, string> APromptReachesItsDatasetOnly(string dir, MockHub hub, string option, string fallback, string role, string prompt, string own)
    {
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        var both = Run(dir, env, "--nanobeir", "msmarco,scifact", option, "MSMARCO=" + prompt, option, "scifact=" + own);
        var prompted = Run(dir, env, "--nanobeir", "msmarco", fallback, prompt);
        var plain = Run(dir, env, "--nanobeir", "msmarco,scifact");
        Assert.NotEqual(Metric(plain, "NanoMSMARCO_cosine_ndcg@10"), Metric(prompted, "NanoMSMARCO_cosine_ndcg@10"), 9);
        foreach (string metric in new[] { "ndcg@10", "mrr@10", "map@100", "recall@3" })
        {
            Assert.Equal(Metric(prompted, "NanoMSMARCO_cosine_" + metric), Metric(both, "NanoMSMARCO_cosine_" + metric), 12);
            Assert.Equal(Metric(plain, "NanoSciFact_cosine_" + metric), Metric(both, "NanoSciFact_cosine_" + metric), 12);
        }
        Assert.Equal(prompt, (string?)both["metadata"]![$"NanoMSMARCO.{role}_prompt"]);
        return env;
    }

    [Fact]
    public void APerDatasetQueryPromptReachesThatDatasetOnly()
    {
        using var hub = new MockHub(Nano("NanoMSMARCO", Docs.Length, Qid.Length), Nano("NanoSciFact", 4, 3));
        string dir = TestPaths.NewTempDir();
        // the fixture's own query prompt is "query: " (its config_sentence_transformers.json), so scifact's is the model's;
        // a prompt about Stavanger drags every query towards d3, so it changes NanoMSMARCO's ranking
        var env = APromptReachesItsDatasetOnly(dir, hub, "--nanobeir-query-prompt", "--query-prompt", "query",
            "Stavanger er kjent for olje. Stavanger er kjent for olje. ", "query: ");

        var r = SkaldProcess.RunWith(dir, env, ["evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "msmarco,scifact", "--nanobeir-query-prompt", "msmarco=q: "]);
        SkaldProcess.AssertUserError(r, 2, "--nanobeir-query-prompt: no query prompt for scifact (give each one, or --query-prompt for the rest)");
        r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "msmarco", "--nanobeir-query-prompt", "trec-covid=q: ");
        SkaldProcess.AssertUserError(r, 1, "NanoBEIR has no dataset \"trec-covid\"");
        r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "msmarco", "--nanobeir-query-prompt", "query: ");
        SkaldProcess.AssertUserError(r, 1, "--nanobeir-query-prompt \"query: \": expected NAME=TEXT");
    }

    [Fact]
    public void APerDatasetCorpusPromptReachesThatDatasetOnly()
    {
        using var hub = new MockHub(Nano("NanoMSMARCO", Docs.Length, Qid.Length), Nano("NanoSciFact", 4, 3));
        string dir = TestPaths.NewTempDir();
        // the fixture's own document prompt is "passage: ", so scifact's is the model's; a long shared prompt pulls every
        // document towards the same vector, so it changes NanoMSMARCO's ranking
        var env = APromptReachesItsDatasetOnly(dir, hub, "--nanobeir-corpus-prompt", "--document-prompt", "corpus",
            "Tromsø ligger nord for polarsirkelen. Tromsø ligger nord for polarsirkelen. Tromsø ligger nord for polarsirkelen. ", "passage: ");

        var r = SkaldProcess.RunWith(dir, env, ["evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "msmarco,scifact", "--nanobeir-corpus-prompt", "msmarco=d: "]);
        SkaldProcess.AssertUserError(r, 2, "--nanobeir-corpus-prompt: no document prompt for scifact (give each one, or --document-prompt for the rest)");
        r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", dir, "--nanobeir-corpus-prompt", "msmarco=d: ");
        SkaldProcess.AssertUserError(r, 2, "--nanobeir-corpus-prompt goes with --nanobeir");
    }

    [Fact]
    public void ANameNanoBeirLacksAndATaskOptionAreOneLine()
    {
        var r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "msmarco,trec-covid");
        SkaldProcess.AssertUserError(r, 1, "NanoBEIR has no dataset \"trec-covid\" (valid: climatefever,");
        r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "--split", "dev");
        SkaldProcess.AssertUserError(r, 2, "--split does not apply with --nanobeir");
        r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"));
        SkaldProcess.AssertUserError(r, 2, "'evaluate' needs --task (or --nanobeir");
    }
}
