using System.Text.Json;
using Skald.Models.BgeM3;
using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build --bge-m3</c> and <c>skald search</c> over it with the bge-m3-tiny fixture: the dense results are
/// the index's rows ranked by <see cref="BgeM3Encoder.Rank"/> over their texts with the same weights (order and scores
/// within 1e-6); weights naming an output the index does not store, the option on another index, another model and a
/// folder that is not BGE-M3 are each one line; an index of a comma list of outputs (dense,sparse) is searched by 1 for
/// each of them; serve's --bge-m3-weights is checked against the index as search checks them, its
/// --reranker-bge-m3-weights needs a BGE-M3 reranker; --plaid codes the
/// ColBERT vectors (refused in one line without them) and search takes --plaid-ncells on such an index; index reindex --model encodes its chunks again with another
/// BGE-M3 folder (a folder of another kind is one line).
/// </summary>
public sealed class BgeM3IndexCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");
    private static readonly string Documents = SampleDocuments.Folder;

    private static string[] Options(string outputs) => ["--language", "nb", .. outputs.Length > 0 ? new[] { "--bge-m3", outputs } : []];

    // The shared index of the sample documents with these BGE-M3 outputs (read only).
    private static string Build(string outputs, string model) => SampleDocuments.Index(InProcessSkald.Capture, model, Options(outputs));

    // `skald search` over `folder` (dense mode, JSON, `extra` options): the rows in the order and with the scores of
    // BgeM3Encoder.Rank over their texts with `weights` (within 1e-6).
    private static void SearchRanksAs(string folder, string query, int topK, BgeM3Weights weights, params string[] extra)
    {
        var r = InProcessSkald.Capture(["search", "--index", folder, "--query", query, "--mode", "dense", "--top-k", topK.ToString(System.Globalization.CultureInfo.InvariantCulture), "--format", "json", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var results = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");
        IReadOnlyList<IndexRecord> records;
        using (var index = SearchIndex.Open(folder)) records = index.Records;
        using var m3 = BgeM3Encoder.Load(Model);
        var ranked = m3.Rank(query, [.. records.Select(x => x.FullText)], weights, topK);
        Assert.Equal(topK, results.GetArrayLength());
        for (int i = 0; i < topK; i++)
        {
            Assert.Equal(records[ranked[i].Index].Id, results[i].GetProperty("id").GetString());
            Assert.True(Math.Abs(ranked[i].Score - results[i].GetProperty("score").GetSingle()) <= 1e-6, $"result {i}");
        }
    }

    [Fact]
    public void SearchRanksTheRowsByTheWeightedScoreAndRefusesWhatTheIndexLacks()
    {
        string folder = Build("all", Model);
        const string query = "Hvor kan jeg parkere sykkelen?";
        SearchRanksAs(folder, query, 8, new BgeM3Weights(0.4f, 0.2f, 0.4f), "--bge-m3-weights", "0.4,0.2,0.4");
        var hybrid = InProcessSkald.Capture("search", "--index", folder, "--query", query, "--top-k", "3");
        Assert.True(hybrid.ExitCode == 0, hybrid.Stderr);
        Assert.Contains("3 results", hybrid.Stdout);

        string sparse = Build("sparse", Model);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", sparse, "--query", query, "--bge-m3-weights", "0.4,0.2,0.4"), 2,
            "the weights use BGE-M3's dense and colbert scores, but the index stores only sparse");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", sparse, "--query", query, "--model", TestPaths.FixtureModel("bert-cased-mean")), 1,
            "not the model", "its files differ");
        string dense = Build("", Model); // the same folder without --bge-m3: a dense index of the dense model
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", dense, "--query", query, "--bge-m3-weights", "1,1,1"), 2,
            "--bge-m3-weights applies to a BGE-M3 index");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--bge-m3", "all",
            "--documents", Documents, "--output", Path.Combine(TestPaths.NewTempDir(), "x")), 2, "--bge-m3 is for BGE-M3 folders");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--bge-m3", "all", "--hnsw", "4",
            "--documents", Documents, "--output", Path.Combine(TestPaths.NewTempDir(), "x")), 1, "--hnsw is for single-vector dense models");
    }

    [Fact]
    public void ACommaListOfOutputsBuildsAnIndexOfThoseThatSearchWeightsByDefault()
    {
        string folder = Build("dense,sparse", Model);
        using (var index = SearchIndex.Open(folder)) Assert.Equal(BgeM3Outputs.Dense | BgeM3Outputs.Sparse, index.BgeM3Stored);
        const string query = "Hvor kan jeg parkere sykkelen?";
        SearchRanksAs(folder, query, 5, new BgeM3Weights(1f, 1f, 0f)); // 1 for each stored output
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", query, "--bge-m3-weights", "0.4,0.2,0.4"), 2,
            "--bge-m3-weights 0.4,0.2,0.4: ", "the weights use BGE-M3's colbert score, but the index stores only dense, sparse");
    }

    [Fact]
    public void IndexBuildRefusesAnOutputListNamingSomethingElseInOneLine()
    {
        foreach (var (value, fragment) in new[]
        {
            ("dense,sparce", "option --bge-m3 got 'sparce'; did you mean 'sparse'?"),
            ("dense,lexical", "option --bge-m3 got 'lexical', which is no BGE-M3 output"),
            (",", "option --bge-m3 names no output in ','"),
        })
        {
            SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--bge-m3", value,
                "--documents", Documents, "--output", Path.Combine(TestPaths.NewTempDir(), "x")), 2, fragment);
        }
    }

    [Fact]
    public void ServeBgeM3WeightsAreCheckedAgainstTheIndexAsSearchChecksThem()
    {
        string m3 = Build("dense,sparse", Model), dense = Build("", Model);
        string[] serve = ["serve", "--model", Model, "--port", "0", "--index-refresh", "0", "--index"];
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. serve, m3, "--bge-m3-weights", "0.4,0.2,0.4"]), 2,
            "--bge-m3-weights 0.4,0.2,0.4: ", "the weights use BGE-M3's colbert score, but the index stores only dense, sparse");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. serve, m3, "--bge-m3-weights", "1,x,1"]), 2,
            "--bge-m3-weights: 'x' is not a number");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. serve, dense, "--bge-m3-weights", "0.3,0.7,0"]), 2,
            "--bge-m3-weights applies with a BGE-M3 --reranker or over a BGE-M3 --index");
    }

    [Fact]
    public void ServeRerankerBgeM3WeightsNeedABgeM3RerankerAndLeaveBgeM3WeightsToTheIndex()
    {
        string[] serve = ["serve", "--model", Model, "--port", "0", "--reranker"];
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. serve, TestPaths.FixtureModel("ce-bert"), "--reranker-bge-m3-weights", "0.4,0.2,0.4"]), 2,
            "--reranker-bge-m3-weights applies with a BGE-M3 --reranker");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. serve, Model, "--reranker-bge-m3-weights", "1,x,1"]), 2,
            "--reranker-bge-m3-weights: 'x' is not a number");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. serve, Model, "--reranker-bge-m3-weights", "0,0,0"]), 2,
            "--reranker-bge-m3-weights: at least one of the dense, sparse and colbert weights must be above 0");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. serve, Model, "--bge-m3-weights", "1,1,1", "--reranker-bge-m3-weights", "0,1,0"]), 2,
            "--bge-m3-weights applies over a BGE-M3 --index", "the reranker's are --reranker-bge-m3-weights");
    }

    [Fact]
    public void PlaidCodesTheColbertVectorsAndSearchTakesItsSettings()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--language", "nb", "-q",
            "--bge-m3", "all", "--plaid", "--plaid-centroids", "8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(TokenPrecision.Plaid, index.TokenPrecision);
            Assert.Equal(8, index.Manifest.PlaidCentroids);
        }
        var info = InProcessSkald.Capture("index", "info", "--index", folder, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Equal("8 centroids, 2-bit residuals", JsonDocument.Parse(info.Stdout).RootElement.GetProperty("colbert_plaid").GetString());
        var search = InProcessSkald.Capture("search", "--index", folder, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--top-k", "3",
            "--bge-m3-weights", "0.4,0.2,0.4", "--plaid-ncells", "2");
        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.Contains("3 results", search.Stdout);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output",
            Path.Combine(TestPaths.NewTempDir(), "x"), "--bge-m3", "dense,sparse", "--plaid"), 1, "--plaid codes a BGE-M3 index's ColBERT vectors");
    }

    [Fact]
    public void ReindexWithAModelEncodesTheChunksAgainAndRefusesAModelOfAnotherKind()
    {
        string folder = SampleDocuments.CopyOfIndex(InProcessSkald.Capture, Model, Options("dense,sparse"));
        string other = TestPaths.CopyOfFixtureModel("bge-m3-tiny");
        var r = InProcessSkald.Capture("index", "reindex", "--index", folder, "--model", other);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("encoded", r.Stdout + r.Stderr);
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(Path.GetFullPath(other), index.Manifest.Model);
            Assert.Equal(BgeM3Outputs.Dense | BgeM3Outputs.Sparse, index.BgeM3Stored);
        }
        SearchRanksAs(folder, "Hvor kan jeg parkere sykkelen?", 3, new BgeM3Weights(1f, 1f, 0f));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", folder, "--model", TestPaths.FixtureModel("colbert-bert-tiny")), 1,
            "is not a BGE-M3 folder");
    }
}
