using System.Text.Json;
using Skald.Models.LateInteraction;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/rerank</c> and reranked <c>POST /v1/search</c> on a real server over loopback with a PyLate ColBERT
/// folder as the reranker (fixtures/models/colbert-bert-tiny): MaxSim scores and order as <see cref="ColbertEncoder.Rank"/>
/// gives them, in batches smaller than the request, and the token vectors counted as its usage.
/// </summary>
public sealed class ColbertRerankEndpointTests : IClassFixture<ColbertRerankEndpointTests.ColbertRerankServer>
{
    private static readonly string Colbert = TestPaths.FixtureModel("colbert-bert-tiny");
    private readonly ColbertRerankServer fixture;

    public ColbertRerankEndpointTests(ColbertRerankServer fixture) => this.fixture = fixture;

    /// <summary>A server with an embedding model, an index of samples/documents and a ColBERT reranker (batches of 2).</summary>
    public sealed class ColbertRerankServer : SearchEndpointTests.IndexedServer
    {
        protected override RerankService? Reranker() => new(ColbertEncoder.Load(Colbert)) { BatchSize = 2 };
    }

    private static readonly string[] Docs =
        ["Fjorden ligg stille i morgonsola.", "Bussen går 07:45 fra Jernbanetorget, spor 3.", "Blåbærsyltetøy på vaffel er best.", "Räksmörgås med ägg och majonnäs.", "Kva tid går neste ferje?"];

    [Fact]
    public async Task RerankAnswersMaxSimScoresInTheModelsOrder()
    {
        const string query = "Kva tid går neste ferje over fjorden?";
        using var model = ColbertEncoder.Load(Colbert);
        var expected = model.Rank(query, Docs);
        var (status, body) = await PostAsync(fixture.Client, Json(new { query, documents = Docs, top_n = 4 }), path: "v1/rerank");
        Assert.Equal(200, status);
        Assert.Equal("colbert-bert-tiny", body.GetProperty("model").GetString());
        var results = body.GetProperty("results");
        Assert.Equal(4, results.GetArrayLength());
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i].Index, results[i].GetProperty("index").GetInt32());
            Assert.True(Math.Abs(expected[i].Score - results[i].GetProperty("relevance_score").GetSingle()) <= 1e-6, $"result {i}");
        }
        long tokens = model.EncodeQueries([query])[0].Count + model.EncodeDocuments(Docs).Sum(d => (long)d.Count);
        Assert.Equal(tokens, body.GetProperty("usage").GetProperty("total_tokens").GetInt64());
    }

    [Fact]
    public async Task SearchHitsAreRerankedByMaxSim()
    {
        const string query = "Hvor kan jeg parkere sykkelen?";
        var (_, plain) = await PostAsync(fixture.Client, Json(new { query, mode = "bm25", top_k = 5, rerank = false }), path: "v1/search");
        var candidates = plain.GetProperty("data").EnumerateArray().Select(h => (Id: h.GetProperty("id").GetString()!, Text: FullText(h))).ToList();
        Assert.Equal(5, candidates.Count);
        var (status, body) = await PostAsync(fixture.Client, Json(new { query, mode = "bm25", top_k = 3, rerank_candidates = 5 }), path: "v1/search");
        Assert.Equal(200, status);
        using var model = ColbertEncoder.Load(Colbert);
        var expected = model.Rank(query, [.. candidates.Select(c => c.Text)], topK: 3);
        var data = body.GetProperty("data");
        Assert.Equal(3, data.GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(candidates[expected[i].Index].Id, data[i].GetProperty("id").GetString());
            Assert.True(Math.Abs(expected[i].Score - data[i].GetProperty("score").GetSingle()) <= 1e-6, $"hit {i}");
        }
    }

    private static string FullText(JsonElement hit)
    {
        string title = hit.GetProperty("title").GetString() ?? "", text = hit.GetProperty("text").GetString()!;
        return title.Length == 0 ? text : title + " " + text;
    }
}
