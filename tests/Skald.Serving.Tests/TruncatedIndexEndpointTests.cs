using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Index;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary><c>POST /v1/search</c> over an index of truncated embeddings (<c>index build --truncate-dim</c>): served with the full model, the same hits as <c>skald search</c>.</summary>
public sealed class TruncatedIndexEndpointTests
{
    [Fact]
    public async Task HitsEqualSkaldSearch()
    {
        string model = TestPaths.FixtureModel("bert-cased-mean");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = SkaldProcess.Run("index", "build", "--model", model, "--documents", Path.Combine(TestPaths.RepoRoot, "samples", "documents"),
            "--output", folder, "--truncate-dim", "16", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        const string query = "Hvor kan jeg parkere sykkelen?";
        r = SkaldProcess.Run("search", "--index", folder, "--query", query, "--mode", "dense", "--top-k", "4", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var expected = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray()
            .Select(h => (h.GetProperty("id").GetString(), h.GetProperty("score").GetSingle())).ToList();
        using var index = SearchIndex.Open(folder);
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(model), index, null, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (status, body) = await PostAsync(client, Json(new { query, mode = "dense", top_k = 4 }), path: "v1/search");
        Assert.Equal(200, status);
        var got = body.GetProperty("data").EnumerateArray().Select(h => (h.GetProperty("id").GetString(), h.GetProperty("score").GetSingle())).ToList();
        Assert.Equal(expected.Select(e => e.Item1), got.Select(g => g.Item1));
        for (int i = 0; i < got.Count; i++) Assert.Equal(expected[i].Item2, got[i].Item2, 4);
    }
}
