using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build</c> and <c>skald search</c> with a PyLate ColBERT folder (fixtures/models/colbert-bert-tiny): the
/// dense results are the index's rows ranked by <see cref="ColbertEncoder.Rank"/> over their texts (order and scores),
/// and a ColBERT index searched with a dense model, or a dense one with the ColBERT model, is one line naming the
/// fingerprint mismatch; options for single-vector layouts are refused in one line; <c>index reindex --model</c> encodes
/// a ColBERT index's chunks again (a PLAID index's centroids trained again), with layout options, a single-vector model
/// and a dense index each refused in one line.
/// </summary>
public sealed class ColbertIndexCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");
    private static readonly string DenseModel = TestPaths.FixtureModel("bert-cased-mean");
    private static readonly string Documents = SampleDocuments.Folder;

    // The shared index of the sample documents built with `model` (read only).
    private static string Build(string model) => SampleDocuments.Index(InProcessSkald.Capture, model, "--language", "nb");

    [Fact]
    public void SearchRanksTheRowsByTheModelsMaxSimAndRefusesTheOtherKindOfModel()
    {
        string folder = Build(Model);
        const string query = "Hvor kan jeg parkere sykkelen?";
        var r = InProcessSkald.Capture("search", "--index", folder, "--query", query, "--mode", "dense", "--top-k", "8", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var results = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");

        IReadOnlyList<IndexRecord> records;
        using (var index = SearchIndex.Open(folder)) records = index.Records;
        using var encoder = ColbertEncoder.Load(Model);
        var ranked = encoder.Rank(query, [.. records.Select(x => x.FullText)], topK: 8);
        Assert.Equal(8, results.GetArrayLength());
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(records[ranked[i].Index].Id, results[i].GetProperty("id").GetString());
            Assert.True(Math.Abs(ranked[i].Score - results[i].GetProperty("score").GetSingle()) <= 1e-6, $"result {i}");
        }

        string dense = Build(DenseModel);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", dense, "--query", query, "--model", Model), 1, "not the model", "its files differ");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", query, "--model", DenseModel), 1, "not the model", "its files differ");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", Path.Combine(TestPaths.NewTempDir(), "x"),
            "--hnsw", "4"), 1, "--hnsw is for single-vector dense models");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", folder, "--hnsw", "4"), 1, "no dense layout to change");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", Model, "--port", "0"), 2, "late-interaction", "--index DIR");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", DenseModel, "--index", folder, "--port", "0"), 1, "was built with the model");
        var info = InProcessSkald.Capture("index", "info", "--index", folder, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("token vectors (colbert", JsonDocument.Parse(info.Stdout).RootElement.GetProperty("vectors").GetString());
    }

    [Fact]
    public void PrecisionStoresTheTokenVectorsSmallerAndInfoSaysSo()
    {
        string dir = TestPaths.NewTempDir();
        var sizes = new Dictionary<string, long>();
        foreach (string precision in new[] { "float32", "float16", "int8" })
        {
            string folder = Path.Combine(dir, precision);
            var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--language", "nb", "--precision", precision);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains(precision == "float32" ? "token vectors (colbert)" : $"token vectors (colbert, {precision})", r.Stdout + r.Stderr);
            var info = InProcessSkald.Capture("index", "info", "--index", folder, "--format", "json");
            Assert.True(info.ExitCode == 0, info.Stderr);
            var root = JsonDocument.Parse(info.Stdout).RootElement;
            Assert.StartsWith(precision, root.GetProperty("token_precision").GetString());
            Assert.Equal("float32", root.GetProperty("precision").GetString()); // the rows' mean vectors
            sizes[precision] = Directory.EnumerateFiles(folder, "tokens.*").Where(f => !f.EndsWith(".offsets", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);
            var search = InProcessSkald.Capture("search", "--index", folder, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--top-k", "3");
            Assert.True(search.ExitCode == 0, search.Stderr);
        }
        Assert.Equal(sizes["float32"] / 2, sizes["float16"]);
        Assert.Equal(sizes["float32"] / 4 + sizes["float32"] / 16, sizes["int8"]); // codes, and a float32 scale per 16-value vector

        string output = Path.Combine(dir, "x");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", output, "--precision", "binary"),
            2, "--precision binary: a late-interaction (ColBERT) index stores its token vectors as float32, float16 or int8");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", DenseModel, "--documents", Documents, "--output", output, "--precision", "float16"),
            2, "--precision float16 is for a late-interaction (ColBERT) index's token vectors");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", Path.Combine(dir, "int8"), "--precision", "float16"), 2, "float16");

        // a candidate stage before MaxSim: the N rows nearest by mean token vector (its recall: QuantizedTokenRankingTests)
        var staged = InProcessSkald.Capture("search", "--index", Path.Combine(dir, "int8"), "--query", "sykkel", "--mode", "dense", "--top-k", "3", "--maxsim-candidates", "3");
        Assert.True(staged.ExitCode == 0, staged.Stderr);
        Assert.Contains("3 results", staged.Stdout);
        string dense = Build(DenseModel);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", dense, "--query", "sykkel", "--maxsim-candidates", "3"), 2,
            "--maxsim-candidates applies to a late-interaction (ColBERT) index");
    }

    [Fact]
    public void ReindexWithAModelEncodesTheChunksAgain()
    {
        string dir = TestPaths.NewTempDir(), folder = Path.Combine(dir, "plaid");
        var built = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--language", "nb",
            "--plaid", "--plaid-centroids", "8", "-q");
        Assert.True(built.ExitCode == 0, built.Stderr);
        string other = TestPaths.CopyOfFixtureModel("colbert-bert-tiny");
        var r = InProcessSkald.Capture("index", "reindex", "--index", folder, "--model", other);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("encoded", r.Stdout + r.Stderr);
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(Path.GetFullPath(other), index.Manifest.Model);
            Assert.Equal(TokenPrecision.Plaid, index.TokenPrecision);
            Assert.NotEqual(8, index.Manifest.PlaidCentroids); // trained again, ColBERTv2's count for these vectors
        }
        var search = InProcessSkald.Capture("search", "--index", folder, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--top-k", "3");
        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.Contains("3 results", search.Stdout);

        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", folder, "--model", Model, "--hnsw", "4"), 2,
            "--hnsw lays out a dense index's stored rows; with --model");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", folder, "--model", DenseModel), 1, "is not a late-interaction (ColBERT / PyLate) model");
        string dense = Build(DenseModel);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", dense, "--model", Model), 1, "re-encoding with a model is for a late-interaction (ColBERT) or BGE-M3 index");
    }

    [Fact]
    public void ReindexWithAModelKeepsTheIndexsPooling()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "pooled");
        var built = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--language", "nb",
            "--pool-factor", "2", "-q");
        Assert.True(built.ExitCode == 0, built.Stderr);
        byte[] tokens = File.ReadAllBytes(Path.Combine(folder, "tokens.f32"));
        var r = InProcessSkald.Capture("index", "reindex", "--index", folder, "--model", Model, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(tokens.SequenceEqual(File.ReadAllBytes(Path.Combine(folder, "tokens.f32"))), "the chunks were not pooled as the index's were");
        using var index = SearchIndex.Open(folder);
        Assert.Equal(2, index.Manifest.PoolFactor);
    }
}
