using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.CrossEncoders;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using static Skald.Serving.Tests.BgeM3EndpointTests;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>/v1/search</c>'s <c>rerank_bge_m3_weights</c>: a search reranked by a served BGE-M3 reranker combines its scores
/// of the hits by the request's weights (the hits and scores of <see cref="BgeM3Encoder.Rank"/> with them), that call
/// alone (the next search is ranked by the reranker's own weights again); bad values, a request that does not rerank
/// and a server whose reranker is not BGE-M3 (or that has none) are 400s naming the field, and the server goes on.
/// </summary>
public sealed class BgeM3SearchRerankWeightsTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    private static readonly string[] Texts = BgeM3EndpointTests.Texts;

    private static readonly BgeM3Weights RerankerWeights = new(0.4f, 0.2f, 0.4f);

    private const string Query = "Når går ferja?";

    // A plain dense index of the fixture's dense model over Texts, row i with id "t{i}".
    private static string DenseIndex(SentenceEncoder encoder)
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var plain = new EncoderEmbeddingModel(encoder);
        TextIndex.Build(folder, plain, [.. Texts.Select((t, i) => TextIndex.Record($"t{i}", t))]);
        return folder;
    }

    // every row a candidate, so the reranked hits are the reranker's ranking of all of Texts
    private static string Search(object? weights, bool? rerank = null) => Json(weights is null
        ? new { query = Query, mode = "dense", top_k = Texts.Length, rerank_candidates = Texts.Length, rerank }
        : (object)new { query = Query, mode = "dense", top_k = Texts.Length, rerank_candidates = Texts.Length, rerank, rerank_bge_m3_weights = weights });

    [Fact]
    public async Task ASearchRerankedByBgeM3TakesTheRequestsWeightsForThatCallAlone()
    {
        using var encoder = SentenceEncoder.Load(Model);
        using var m3 = BgeM3Encoder.Load(Model);
        using var live = new LiveIndex(SearchIndex.Open(DenseIndex(encoder)), owns: true);
        await using var server = await EmbeddingServer.StartLiveAsync(encoder, live, new RerankService(m3, RerankerWeights) { BatchSize = 2 }, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };

        var colbert = m3.Rank(Query, Texts, BgeM3Weights.ColbertOnly, Texts.Length); // (the tiny model's lexical scores of this query all tie at 0)
        var byReranker = m3.Rank(Query, Texts, RerankerWeights, Texts.Length);
        Assert.NotEqual(byReranker.Select(r => r.Score), colbert.Select(r => r.Score)); // the two weightings score differently

        var (status, body) = await PostAsync(client, Search(new[] { 0, 0, 1 }), path: "v1/search");
        Assert.Equal(200, status);
        AssertRanked(colbert, body.GetProperty("data"), Row, "score");
        (status, body) = await PostAsync(client, Search(null), path: "v1/search");
        Assert.Equal(200, status);
        AssertRanked(byReranker, body.GetProperty("data"), Row, "score");
        (status, body) = await PostAsync(client, Search(null, rerank: false), path: "v1/search"); // the index's own dense order
        Assert.Equal(200, status);
        Assert.Equal(Texts.Length, body.GetProperty("data").GetArrayLength());

        // bad values: a 400 naming the field each, and the server answers on
        object[] bad = [new[] { 1, 1 }, new[] { 0, 0, 0 }, new[] { -1, 0, 1 }, "0.4,0.2,0.4", new object[] { 1, "x", 1 }, new { dense = 1 }];
        foreach (var weights in bad)
        {
            (status, body) = await PostAsync(client, Search(weights), path: "v1/search");
            Assert.True(status == 400, Json(weights));
            Assert.Equal("rerank_bge_m3_weights", body.GetProperty("error").GetProperty("param").GetString());
        }
        var raw = await client.PostAsync("v1/search", new StringContent(
            $$"""{"query": "{{Query}}", "mode": "dense", "rerank_bge_m3_weights": [1e400, 0, 0]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)raw.StatusCode);
        Assert.Contains("rerank_bge_m3_weights", await raw.Content.ReadAsStringAsync());
        (status, body) = await PostAsync(client, Search(new[] { 0, 1, 0 }, rerank: false), path: "v1/search");
        Assert.Equal(400, status);
        Assert.Equal("rerank_bge_m3_weights", body.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("\"rerank\": false", body.GetProperty("error").GetProperty("message").GetString());

        (status, body) = await PostAsync(client, Search(new[] { 0, 0, 1 }), path: "v1/search"); // still serving, by the request's weights
        Assert.Equal(200, status);
        AssertRanked(colbert, body.GetProperty("data"), Row, "score");
    }

    [Fact]
    public async Task WithoutABgeM3RerankerTheWeightsAreA400NamingTheField()
    {
        using var encoder = SentenceEncoder.Load(Model);
        string folder = DenseIndex(encoder);
        foreach (var (rerank, fragment) in new[]
        {
            (new RerankService(CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"))), "is a cross-encoder"),
            ((RerankService?)null, "this server has no reranker"),
        })
        {
            using var live = new LiveIndex(SearchIndex.Open(folder), owns: true);
            await using var server = await EmbeddingServer.StartLiveAsync(encoder, live, rerank, "127.0.0.1", 0);
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            var (status, body) = await PostAsync(client, Search(new[] { 0.4, 0.2, 0.4 }), path: "v1/search");
            Assert.Equal(400, status);
            Assert.Equal("rerank_bge_m3_weights", body.GetProperty("error").GetProperty("param").GetString());
            Assert.Contains(fragment, body.GetProperty("error").GetProperty("message").GetString());
        }
    }
}
