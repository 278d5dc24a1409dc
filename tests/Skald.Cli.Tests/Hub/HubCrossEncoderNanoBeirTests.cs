using System.Text;
using System.Text.Json.Nodes;
using Skald.Tests;

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
/// An option of an embedding model is one line.
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

    private static string[] Ids(string prefix, int count) => [.. Enumerable.Range(0, count).Select(i => prefix + i)];

    private static MockRepo Nano(string name, int judgements) => new("zeta-alpha-ai/" + name, new Dictionary<string, byte[]>
    {
        ["README.md"] = Encoding.ASCII.GetBytes("---\nconfigs: []\n---\n"),
        ["corpus/train-00000-of-00001.parquet"] = ParquetFixture.Bytes(("_id", Ids("d", Docs.Length)), ("text", Docs)),
        ["queries/train-00000-of-00001.parquet"] = ParquetFixture.Bytes(("_id", Ids("q", Questions.Length)), ("text", Questions)),
        ["qrels/train-00000-of-00001.parquet"] = ParquetFixture.Bytes(("query-id", Qid[..judgements]), ("corpus-id", Did[..judgements])),
    }, dataset: true);

    private static Dictionary<string, string> Env(string home, string endpoint) => new()
    {
        ["HF_HOME"] = home, ["HF_ENDPOINT"] = endpoint, ["HF_HUB_OFFLINE"] = "", ["HF_TOKEN"] = "", ["HF_HUB_CACHE"] = "",
    };

    private static JsonNode Run(string dir, Dictionary<string, string>? env, params string[] args)
    {
        string output = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".json");
        var r = SkaldProcess.RunWith(dir, env, ["evaluate", "--output", output, .. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonNode.Parse(File.ReadAllText(output))!;
    }

    private static double Metric(JsonNode result, string key) =>
        (double?)result["metrics"]![key] ?? throw new Xunit.Sdk.XunitException($"no {key} in {result["metrics"]!.ToJsonString()}");

    [Fact]
    public void ACrossEncoderReranksEachDatasetsBm25CandidatesUnderUpstreamsNames()
    {
        using var hub = new MockHub(Nano("NanoMSMARCO", Qid.Length), Nano("NanoSciFact", 4));
        string dir = TestPaths.NewTempDir();
        string ce = TestPaths.FixtureModel("ce-bert");
        var result = Run(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "--model", ce, "--nanobeir", "msmarco,scifact");
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

        // the same data as a local BEIR folder, reranked as two-stage retrieval (binary judgements: the definitions agree)
        static string Rows(string[] texts, string prefix) => string.Concat(texts.Select((t, i) => new JsonObject { ["_id"] = prefix + i, ["text"] = t }.ToJsonString() + "\n"));
        string folder = BeirFolder.Write(Rows(Docs, "d"), Rows(Questions, "q"), "query-id\tcorpus-id\tscore\n" + string.Concat(Qid.Select((q, i) => $"{q}\t{Did[i]}\t1\n")));
        var reranked = Run(dir, null, "--model", "bm25", "--no-stem", "--rerank", ce, "--task", folder);
        Assert.Equal(Metric(reranked, "ndcg_at_10"), Metric(result, "NanoMSMARCO_R100_ndcg@10"), 12);
        Assert.Equal(Metric(reranked, "mrr_at_10"), Metric(result, "NanoMSMARCO_R100_mrr@10"), 12);
        var bm25 = Run(dir, null, "--model", "bm25", "--no-stem", "--task", folder);
        Assert.Equal(Metric(bm25, "ndcg_at_10"), Metric(result, "NanoMSMARCO_R100_base_ndcg@10"), 12);
        Assert.Equal(Metric(bm25, "mrr_at_10"), Metric(result, "NanoMSMARCO_R100_base_mrr@10"), 12);
        Assert.NotEqual(Metric(bm25, "ndcg_at_10"), Metric(reranked, "ndcg_at_10"), 9); // the reranking is the cross-encoder's

        // rerank_k names the means and cuts each query's candidates
        var two = Run(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "--model", ce, "--nanobeir", "msmarco", "--rerank-candidates", "2");
        Assert.Equal("NanoBEIR_R2_mean_ndcg@10", (string?)two["main_metric"]);
        Assert.Equal("2", (string?)two["metadata"]!["rerank_k"]);
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
