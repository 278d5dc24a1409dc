using System.Text.Json.Nodes;
using Skald.Tests;
using static Skald.Cli.Tests.Hub.EvaluateRuns;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>skald evaluate --nanobeir</c> with a cross-encoder as <c>--model</c> runs sentence-transformers'
/// CrossEncoderNanoBEIREvaluator (as <c>--nanobeir</c> with an embedding model runs NanoBEIREvaluator), against
/// <see cref="MockHub"/> serving two NanoBEIR-shaped repositories: each query's BM25 candidates (every document sharing
/// a term with it, under the default <c>--rerank-candidates</c> 100, upstream's <c>rerank_k</c>) reranked by the
/// ce-bert fixture, under upstream's names (<c>NanoMSMARCO_R100_ndcg@10</c>, main <c>NanoBEIR_R100_mean_ndcg@10</c>),
/// each mean the datasets' mean; a dataset's reranked nDCG@10 and MRR@10 and its BM25 order's <c>base_</c> ones are
/// what <c>skald evaluate --task</c> gives its local twin through another path (<c>--model bm25 --rerank ce-bert</c>,
/// and <c>--model bm25</c>: every relevant document shares a term with its query, so both rerank the same candidates).
/// <c>--at-k</c> and <c>--always-rerank-positives</c> are upstream's <c>at_k</c> (the keys' and the main metric's
/// cut-off) and <c>always_rerank_positives</c> (false: only BM25's documents are reranked, the values worked out by
/// hand from upstream's definitions). An option of an embedding model, or a bad value, is one line.
/// </summary>
public sealed class HubCrossEncoderNanoBeirTests
{
    private static readonly string[] Docs =
    [
        "Bergen ligger på Vestlandet og er kjent for regn.", "Oslo er hovedstaden i Norge.", "Trondheim har Nidarosdomen.",
        "Stavanger er kjent for olje.", "Tromsø ligger nord for polarsirkelen.", "Bergen har Fløibanen og mye regn.",
    ];

    private static readonly string[] Questions = ["Hvor ligger Bergen?", "Hva er hovedstaden i Norge?", "Hvilken by har Nidarosdomen?", "Hvor er det mye regn?"];
    private static readonly string[] Qid = ["q0", "q0", "q1", "q2", "q3", "q3"];
    private static readonly string[] Did = ["d0", "d5", "d1", "d2", "d0", "d5"];

    private static MockRepo Nano(string name, int judgements) => Nano(name, Qid[..judgements], Did[..judgements]);

    private static MockRepo Nano(string name, string[] qid, string[] did) => NanoBeirRepos.ZetaAlpha(name, Docs, Questions, qid, did);

    /// <summary>
    /// Asserts that <paramref name="result"/>'s NanoMSMARCO nDCG and MRR at <paramref name="k"/> are what
    /// <c>skald evaluate --task</c> gives the same data as a local BEIR folder (every judgement grade 1, so the
    /// definitions agree) through another path: reranked as two-stage retrieval (<c>--model bm25 --rerank CE</c>), and
    /// the <c>base_</c> ones BM25's own (<c>--model bm25</c>); returns those two results.
    /// </summary>
    private static (JsonNode Reranked, JsonNode Bm25) AssertAsItsLocalTwin(string dir, string ce, JsonNode result, int k)
    {
        static string Rows(string[] texts, string prefix) => string.Concat(texts.Select((t, i) => new JsonObject { ["_id"] = prefix + i, ["text"] = t }.ToJsonString() + "\n"));
        string folder = BeirFolder.Write(Rows(Docs, "d"), Rows(Questions, "q"), "query-id\tcorpus-id\tscore\n" + string.Concat(Qid.Select((q, i) => $"{q}\t{Did[i]}\t1\n")));
        var reranked = Evaluate(dir, null, "--model", "bm25", "--no-stem", "--rerank", ce, "--task", folder);
        var bm25 = Evaluate(dir, null, "--model", "bm25", "--no-stem", "--task", folder);
        foreach (string metric in new[] { "ndcg", "mrr" })
        {
            Assert.Equal(Metric(reranked, $"{metric}_at_{k}"), Metric(result, $"NanoMSMARCO_R100_{metric}@{k}"), 12);
            Assert.Equal(Metric(bm25, $"{metric}_at_{k}"), Metric(result, $"NanoMSMARCO_R100_base_{metric}@{k}"), 12);
        }
        return (reranked, bm25);
    }

    [Fact]
    public void ACrossEncoderReranksEachDatasetsBm25CandidatesUnderUpstreamsNames()
    {
        using var hub = new MockHub(Nano("NanoMSMARCO", Qid.Length), Nano("NanoSciFact", 4));
        string dir = TestPaths.NewTempDir();
        string ce = TestPaths.FixtureModel("ce-bert");
        var result = Evaluate(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "--model", ce, "--nanobeir", "msmarco,scifact");
        Assert.Equal("NanoBEIR_R100_mean", (string?)result["task"]);
        Assert.Equal("NanoBEIR_R100_mean_ndcg@10", (string?)result["main_metric"]);
        foreach (string metric in new[] { "map", "mrr@10", "ndcg@10", "base_map", "base_mrr@10", "base_ndcg@10" })
        {
            double a = Metric(result, "NanoMSMARCO_R100_" + metric), b = Metric(result, "NanoSciFact_R100_" + metric);
            Assert.Equal((a + b) / 2, Metric(result, "NanoBEIR_R100_mean_" + metric), 12);
        }
        Assert.Equal(Metric(result, "NanoBEIR_R100_mean_ndcg@10"), (double)result["main_score"]!, 12);
        Assert.Equal("4", (string?)result["metadata"]!["NanoMSMARCO.queries"]);
        Assert.Equal("3", (string?)result["metadata"]!["NanoSciFact.queries"]); // q3 has no judgement there

        var (reranked, bm25) = AssertAsItsLocalTwin(dir, ce, result, 10);
        Assert.NotEqual(Metric(bm25, "ndcg_at_10"), Metric(reranked, "ndcg_at_10"), 9); // the reranking is the cross-encoder's

        // rerank_k names the means and cuts each query's candidates
        var two = Evaluate(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "--model", ce, "--nanobeir", "msmarco", "--rerank-candidates", "2");
        Assert.Equal("NanoBEIR_R2_mean_ndcg@10", (string?)two["main_metric"]);
        Assert.Equal("2", (string?)two["metadata"]!["rerank_k"]);
    }

    [Fact]
    public void AtKCutsTheMetricsAndNamesThem()
    {
        using var hub = new MockHub(Nano("NanoMSMARCO", Qid.Length));
        string dir = TestPaths.NewTempDir();
        string ce = TestPaths.FixtureModel("ce-bert");
        var result = Evaluate(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "--model", ce, "--nanobeir", "msmarco", "--at-k", "1");
        Assert.Equal("NanoBEIR_R100_mean_ndcg@1", (string?)result["main_metric"]);
        Assert.Equal("1", (string?)result["metadata"]!["at_k"]);
        Assert.Equal("true", (string?)result["metadata"]!["always_rerank_positives"]);
        string[] names = ["map", "mrr@1", "ndcg@1", "base_map", "base_mrr@1", "base_ndcg@1"];
        Assert.Equal(names.Select(n => "NanoMSMARCO_R100_" + n).Concat(names.Select(n => "NanoBEIR_R100_mean_" + n)).Order(StringComparer.Ordinal),
            result["metrics"]!.AsObject().Select(m => m.Key).Order(StringComparer.Ordinal));

        // at 1, the reranked and the BM25 order's values are those MTEB's cut-off 1 gives the same rankings
        var (reranked, _) = AssertAsItsLocalTwin(dir, ce, result, 1);
        Assert.NotEqual(Metric(reranked, "ndcg_at_10"), Metric(reranked, "ndcg_at_1"), 9); // the cut-off decides here (not at 3 or 5)
    }

    [Fact]
    public void WithoutAlwaysRerankPositivesOnlyBm25sDocumentsAreReranked()
    {
        // q1's one relevant document is BM25's first (it alone has "hovedstaden", "i" and "Norge"); q2's shares no
        // term with it, so BM25 never lists it. With --rerank-candidates 1 and false, whatever the model: q1 scores 1
        // on every metric (a list of one relevant document), q2 0 (a list without one), so every mean is 1/2, the
        // BM25 order's too. With true, q2's relevant document is reranked with BM25's, so q2 scores more than 0.
        using var hub = new MockHub(Nano("NanoNQ", ["q1", "q2"], ["d1", "d4"]));
        string dir = TestPaths.NewTempDir();
        string ce = TestPaths.FixtureModel("ce-bert");
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        var listed = Evaluate(dir, env, "--model", ce, "--nanobeir", "nq", "--rerank-candidates", "1", "--at-k", "3", "--always-rerank-positives", "false");
        Assert.Equal("false", (string?)listed["metadata"]!["always_rerank_positives"]);
        Assert.Equal(12, listed["metrics"]!.AsObject().Count);
        foreach (string metric in new[] { "map", "mrr@3", "ndcg@3", "base_map", "base_mrr@3", "base_ndcg@3" })
        {
            Assert.Equal(0.5, Metric(listed, "NanoNQ_R1_" + metric), 12);
            Assert.Equal(0.5, Metric(listed, "NanoBEIR_R1_mean_" + metric), 12);
        }
        var all = Evaluate(dir, env, "--model", ce, "--nanobeir", "nq", "--rerank-candidates", "1", "--at-k", "3", "--always-rerank-positives", "true");
        Assert.Equal("true", (string?)all["metadata"]!["always_rerank_positives"]);
        Assert.Equal(0.5, Metric(all, "NanoNQ_R1_base_map"), 12);
        Assert.True(Metric(all, "NanoNQ_R1_map") >= 0.75, all.ToJsonString()); // q2: its relevant document first or second of two
    }

    [Fact]
    public void ABadAtKOrAlwaysRerankPositivesIsOneLine()
    {
        string ce = TestPaths.FixtureModel("ce-bert");
        SkaldProcess.AssertUserError(SkaldProcess.Run("evaluate", "--model", ce, "--nanobeir", "msmarco", "--at-k", "0"), 2, "option --at-k must be an integer ≥ 1, got '0'");
        SkaldProcess.AssertUserError(SkaldProcess.Run("evaluate", "--model", ce, "--nanobeir", "msmarco", "--at-k", "ten"), 2, "option --at-k", "'ten'");
        SkaldProcess.AssertUserError(SkaldProcess.Run("evaluate", "--model", ce, "--nanobeir", "msmarco", "--always-rerank-positives", "yes"), 2,
            "option --always-rerank-positives", "true, false", "'yes'");
        var r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "msmarco", "--at-k", "5");
        SkaldProcess.AssertUserError(r, 2, "--at-k does not apply with --nanobeir");
        r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "msmarco", "--always-rerank-positives", "false");
        SkaldProcess.AssertUserError(r, 2, "--always-rerank-positives does not apply with --nanobeir");
        r = SkaldProcess.Run("evaluate", "--model", ce, "--task", Path.Combine(TestPaths.NewTempDir(), "absent"), "--at-k", "5");
        SkaldProcess.AssertUserError(r, 2, "--at-k goes with --nanobeir");
    }

    [Fact]
    public void AnEmbeddingModelsOptionIsOneLine()
    {
        string ce = TestPaths.FixtureModel("ce-bert");
        var r = SkaldProcess.Run("evaluate", "--model", ce, "--nanobeir", "msmarco", "--query-prompt", "query: ");
        SkaldProcess.AssertUserError(r, 2, "--query-prompt does not apply with --nanobeir and a cross-encoder");
        r = SkaldProcess.Run("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--nanobeir", "msmarco", "--rerank-candidates", "10");
        SkaldProcess.AssertUserError(r, 2, "--rerank-candidates does not apply with --nanobeir");
    }
}
