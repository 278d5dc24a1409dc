using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.CrossEncoders;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using static Skald.Serving.Tests.BgeM3EndpointTests;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A BGE-M3 reranker and a BGE-M3 index served together with separate weights: <c>/v1/rerank</c>'s
/// <c>bge_m3_weights</c> are that call's (FlagEmbedding's compute_score takes weights_for_different_modes per call),
/// independent of the index's (<c>/v1/search</c>'s <c>bge_m3_weights</c> or the server's), and of the reranker's own
/// default; weights sent to a reranker that is not BGE-M3 are a 400 naming the field.
/// </summary>
public sealed class BgeM3RerankWeightsTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    private static readonly string[] Texts = BgeM3EndpointTests.Texts;

    [Fact]
    public async Task RerankTakesItsOwnWeightsPerRequestBesideTheIndexs()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using (var m3Model = BgeM3EmbeddingModel.Load(Model)) TextIndex.Build(folder, m3Model, [.. Texts.Select((t, i) => TextIndex.Record($"t{i}", t))], "nb");
        using var encoder = SentenceEncoder.Load(Model);
        using var m3 = BgeM3Encoder.Load(Model);
        using var live = new LiveIndex(SearchIndex.Open(folder), owns: true);
        var serverWeights = new BgeM3Weights(0.4f, 0.2f, 0.4f);
        var rerank = new RerankService(m3, serverWeights) { BatchSize = 2 };
        await using var server = await EmbeddingServer.StartLiveAsync(encoder, live, rerank, "127.0.0.1", 0,
            new EmbeddingServiceOptions { BgeM3Weights = BgeM3Weights.DenseOnly });
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };

        const string query = "Når går ferja?";
        var sparse = m3.Rank(query, Texts, BgeM3Weights.SparseOnly, Texts.Length);
        var byServer = m3.Rank(query, Texts, serverWeights, Texts.Length);
        Assert.NotEqual(byServer.Select(r => r.Score), sparse.Select(r => r.Score)); // the two weightings score differently

        // the reranker's weights for this call, then its own default again (a request's weights do not stick)
        var (status, body) = await PostAsync(client, Json(new { query, documents = Texts, bge_m3_weights = new[] { 0, 1, 0 } }), path: "v1/rerank");
        Assert.Equal(200, status);
        AssertRanked(sparse, body.GetProperty("results"), r => r.GetProperty("index").GetInt32(), "relevance_score");
        (status, body) = await PostAsync(client, Json(new { query, documents = Texts }), path: "v1/rerank");
        Assert.Equal(200, status);
        AssertRanked(byServer, body.GetProperty("results"), r => r.GetProperty("index").GetInt32(), "relevance_score");

        // the index keeps the server's index weights (dense only) whatever the reranker's were
        (status, body) = await PostAsync(client, Json(new { query, mode = "dense", top_k = 3, rerank = false }), path: "v1/search");
        Assert.Equal(200, status);
        AssertRanked(m3.Rank(query, Texts, BgeM3Weights.DenseOnly, 3), body.GetProperty("data"), Row, "score");

        (status, body) = await PostAsync(client, Json(new { query, documents = Texts, bge_m3_weights = new[] { 0, 0, 0 } }), path: "v1/rerank");
        Assert.Equal(400, status);
        Assert.Equal("bge_m3_weights", body.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task WeightsForACrossEncoderRerankerAreA400NamingTheField()
    {
        var rerank = new RerankService(CrossEncoder.Load(TestPaths.FixtureModel("ce-bert")));
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(TestPaths.FixtureModel("bge-m3-tiny")), null, rerank, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (status, body) = await PostAsync(client, Json(new { query = "ferja", documents = Texts, bge_m3_weights = new[] { 0.4, 0.2, 0.4 } }), path: "v1/rerank");
        Assert.Equal(400, status);
        Assert.Equal("bge_m3_weights", body.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("applies to a BGE-M3 reranker", body.GetProperty("error").GetProperty("message").GetString());
    }
}
