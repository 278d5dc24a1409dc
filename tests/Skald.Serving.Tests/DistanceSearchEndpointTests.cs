using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Index;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/search</c> over an int8 index of a Euclidean model (the fixture's <c>similarity_fn_name</c> changed):
/// the hits and scores of <c>skald search</c> (whose scores DistanceIndexCommandTests checks against the model's own
/// embeddings), each the negated distance between the query's embedding and the chunk's (so never above 0), and the
/// answer names the function; a BM25 search names none.
/// </summary>
public sealed class DistanceSearchEndpointTests
{
    private const string Query = "Hvor kan jeg parkere sykkelen?";

    private static (string[] Ids, double[] Scores) Hits(JsonElement results) =>
        ([.. results.EnumerateArray().Select(h => h.GetProperty("id").GetString()!)],
         [.. results.EnumerateArray().Select(h => h.GetProperty("score").GetDouble())]);

    [Fact]
    public async Task DenseHitsAreTheCliHitsScoredByTheNegatedDistanceAndNamed()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean", "euclidean");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = SkaldProcess.Run("index", "build", "--model", model, "--documents", SampleDocuments.Folder,
            "--output", folder, "--language", "nb", "--precision", "int8", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var index = SearchIndex.Open(folder);
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(model), index, null, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };

        var (status, body) = await PostAsync(client, Json(new { query = Query, mode = "dense", top_k = 5 }), path: "v1/search");
        Assert.Equal(200, status);
        Assert.Equal("euclidean", body.GetProperty("similarity").GetString());
        var (ids, scores) = Hits(body.GetProperty("data"));
        var cli = SkaldProcess.Run("search", "--index", folder, "--query", Query, "--mode", "dense", "--top-k", "5", "--format", "json");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var (cliIds, cliScores) = Hits(JsonDocument.Parse(cli.Stdout).RootElement.GetProperty("results"));
        Assert.Equal(cliIds, ids);
        for (int i = 0; i < scores.Length; i++) Assert.True(Math.Abs(cliScores[i] - scores[i]) < 1e-5, $"hit {i}: {scores[i]} != {cliScores[i]}");
        Assert.All(scores, s => Assert.True(s <= 0, $"{s}"));

        var (bm25Status, bm25) = await PostAsync(client, Json(new { query = Query, mode = "bm25", top_k = 3 }), path: "v1/search");
        Assert.Equal(200, bm25Status);
        Assert.False(bm25.TryGetProperty("similarity", out _));
    }
}
