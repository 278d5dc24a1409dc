using System.Text.Json;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.CrossEncoders;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A BGE-M3 folder (fixtures/models/bge-m3-tiny) served over loopback with an index of all three outputs
/// (<see cref="EmbeddingServer.StartLiveAsync(SentenceEncoder, LiveIndex, RerankService, string, int, EmbeddingServiceOptions, CancellationToken)"/>):
/// <c>/v1/search</c> answers the hits and scores of <see cref="BgeM3Encoder.Rank"/> over the index's rows with the
/// request's <c>bge_m3_weights</c> (default 1,1,1), <c>/v1/embeddings</c> the dense vector, and with BGE-M3 as the
/// reranker <c>/v1/rerank</c> its weighted scores; weights naming an output the index lacks, or given for another index,
/// are 400s naming <c>bge_m3_weights</c>.
/// </summary>
public sealed class BgeM3EndpointTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    internal static readonly string[] Texts =
    [
        "Ferja går kvar time frå kaia i sentrum.", "Bussen går 07:45 fra Jernbanetorget, spor 3.", "Blåbærsyltetøy på vaffel er best.",
        "Räksmörgås med ägg och majonnäs.", "Sykkelboden ligger bak kontoret.", "Kantina serverer lunsj mellom 11 og 13.",
    ];

    // The served hits (or results) in the order and with the scores of expected, each named by its row.
    internal static void AssertRanked(IReadOnlyList<RankedDocument> expected, JsonElement data, Func<JsonElement, int> row, string scoreField)
    {
        Assert.Equal(expected.Count, data.GetArrayLength());
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Index, row(data[i]));
            Assert.True(Math.Abs(expected[i].Score - data[i].GetProperty(scoreField).GetSingle()) <= 1e-6, $"hit {i}: {data[i].GetProperty(scoreField).GetSingle()} vs {expected[i].Score}");
        }
    }

    internal static int Row(JsonElement hit) => int.Parse(hit.GetProperty("id").GetString()![1..], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task SearchEmbeddingsAndRerankAnswerBgeM3sScores()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using (var m3Model = BgeM3EmbeddingModel.Load(Model)) TextIndex.Build(folder, m3Model, [.. Texts.Select((t, i) => TextIndex.Record($"t{i}", t))], "nb");
        using var encoder = SentenceEncoder.Load(Model);
        using var m3 = BgeM3Encoder.Load(Model);
        using var live = new LiveIndex(SearchIndex.Open(folder), owns: true);
        var rerank = new RerankService(m3, new BgeM3Weights(0.4f, 0.2f, 0.4f)) { BatchSize = 2 };
        await using var server = await EmbeddingServer.StartLiveAsync(encoder, live, rerank, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };

        const string query = "Når går ferja?";
        var (status, body) = await PostAsync(client, Json(new { query, mode = "dense", top_k = 4, rerank = false }), path: "v1/search");
        Assert.Equal(200, status);
        AssertRanked(m3.Rank(query, Texts, BgeM3Weights.Equal, 4), body.GetProperty("data"), Row, "score");
        (status, body) = await PostAsync(client, Json(new { query, mode = "dense", top_k = 3, rerank = false, bge_m3_weights = new[] { 0.4, 0.2, 0.4 } }), path: "v1/search");
        Assert.Equal(200, status);
        AssertRanked(m3.Rank(query, Texts, new BgeM3Weights(0.4f, 0.2f, 0.4f), 3), body.GetProperty("data"), Row, "score");
        var (hybrid, _) = await PostAsync(client, Json(new { query = "ferja kaia", top_k = 3, rerank = false }), path: "v1/search");
        Assert.Equal(200, hybrid);

        var (embedded, vectors) = await PostAsync(client, Json(new { input = query }), path: "v1/embeddings");
        Assert.Equal(200, embedded);
        var dense = m3.Encode([query], null, BgeM3Outputs.Dense)[0].Dense!;
        var served = vectors.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
        Assert.Equal(dense.Length, served.Length);
        for (int j = 0; j < dense.Length; j++) Assert.True(Math.Abs(dense[j] - served[j]) <= 1e-6, $"value {j}");

        var (reranked, ranks) = await PostAsync(client, Json(new { query, documents = Texts, top_n = 4 }), path: "v1/rerank");
        Assert.Equal(200, reranked);
        AssertRanked(m3.Rank(query, Texts, new BgeM3Weights(0.4f, 0.2f, 0.4f), 4), ranks.GetProperty("results"), r => r.GetProperty("index").GetInt32(), "relevance_score");

        var (bad, error) = await PostAsync(client, Json(new { query, bge_m3_weights = new[] { 1, 1 } }), path: "v1/search");
        Assert.Equal(400, bad);
        Assert.Equal("bge_m3_weights", error.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task WeightsForAnOutputTheIndexLacksOrForAnotherIndexAreRefused()
    {
        string sparse = Path.Combine(TestPaths.NewTempDir(), "sparse"), dense = Path.Combine(TestPaths.NewTempDir(), "dense");
        using (var m3Model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.Sparse)) TextIndex.Build(sparse, m3Model, [.. Texts.Select((t, i) => TextIndex.Record($"t{i}", t))]);
        using var encoder = SentenceEncoder.Load(Model);
        using (var plain = new EncoderEmbeddingModel(encoder)) TextIndex.Build(dense, plain, [.. Texts.Select((t, i) => TextIndex.Record($"t{i}", t))]);
        foreach (var (folder, fragment) in new[] { (sparse, "but the index stores only sparse"), (dense, "bge_m3_weights applies to a BGE-M3 index") })
        {
            using var live = new LiveIndex(SearchIndex.Open(folder), owns: true);
            await using var server = await EmbeddingServer.StartLiveAsync(encoder, live, null, "127.0.0.1", 0);
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            var (status, body) = await PostAsync(client, Json(new { query = "ferja", bge_m3_weights = new[] { 0.4, 0.2, 0.4 } }), path: "v1/search");
            Assert.Equal(400, status);
            Assert.Contains(fragment, body.GetProperty("error").GetProperty("message").GetString());
            Assert.Equal("bge_m3_weights", body.GetProperty("error").GetProperty("param").GetString());
        }
    }
}
