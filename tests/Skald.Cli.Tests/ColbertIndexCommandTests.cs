using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build</c> and <c>skald search</c> with a PyLate ColBERT folder (fixtures/models/colbert-bert-tiny): the
/// dense results are the index's rows ranked by <see cref="ColbertEncoder.Rank"/> over their texts (order and scores),
/// and a ColBERT index searched with a dense model, or a dense one with the ColBERT model, is one line naming the
/// fingerprint mismatch; options for single-vector layouts are refused in one line.
/// </summary>
public sealed class ColbertIndexCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");
    private static readonly string DenseModel = TestPaths.FixtureModel("bert-cased-mean");
    private static readonly string Documents = Path.Combine(TestPaths.RepoRoot, "samples", "documents");

    private static string Build(string model)
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = SkaldProcess.Run("index", "build", "--model", model, "--documents", Documents, "--output", folder, "--language", "nb", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return folder;
    }

    [Fact]
    public void SearchRanksTheRowsByTheModelsMaxSimAndRefusesTheOtherKindOfModel()
    {
        string folder = Build(Model);
        const string query = "Hvor kan jeg parkere sykkelen?";
        var r = SkaldProcess.Run("search", "--index", folder, "--query", query, "--mode", "dense", "--top-k", "8", "--format", "json");
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
        SkaldProcess.AssertUserError(SkaldProcess.Run("search", "--index", dense, "--query", query, "--model", Model), 1, "not the model", "its files differ");
        SkaldProcess.AssertUserError(SkaldProcess.Run("search", "--index", folder, "--query", query, "--model", DenseModel), 1, "not the model", "its files differ");
        SkaldProcess.AssertUserError(SkaldProcess.Run("index", "build", "--model", Model, "--documents", Documents, "--output", Path.Combine(TestPaths.NewTempDir(), "x"),
            "--precision", "int8"), 1, "--precision is for single-vector dense models");
        SkaldProcess.AssertUserError(SkaldProcess.Run("index", "reindex", "--index", folder, "--hnsw", "4"), 1, "no dense layout to change");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", Model, "--port", "0"), 2, "late-interaction", "--index DIR");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", DenseModel, "--index", folder, "--port", "0"), 1, "was built with the model");
        var info = SkaldProcess.Run("index", "info", "--index", folder, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("token vectors (colbert", JsonDocument.Parse(info.Stdout).RootElement.GetProperty("vectors").GetString());
    }
}
