using System.Text.Json;
using Skald.Models;
using Skald.Models.CrossEncoders;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/rerank</c> and reranked <c>POST /v1/search</c> on a real server over loopback, with the tiny BERT
/// cross-encoder fixture: the library's scores and order, Jina's answer shape, OpenAI-style 400s on bad input.
/// </summary>
public sealed class RerankEndpointTests : IClassFixture<RerankEndpointTests.RerankServer>
{
    private static readonly string Reranker = TestPaths.FixtureModel("ce-bert");
    private readonly RerankServer fixture;

    public RerankEndpointTests(RerankServer fixture) => this.fixture = fixture;

    /// <summary>A server with an embedding model, an index of samples/documents and a reranker.</summary>
    public sealed class RerankServer : SearchEndpointTests.IndexedServer
    {
        protected override RerankService? Reranker() => new(CrossEncoder.Load(TestPaths.FixtureModel("ce-bert")));
    }

    private static readonly string[] Docs =
        ["Fjorden ligg stille i morgonsola.", "Bussen går 07:45 fra Jernbanetorget, spor 3.", "Blåbærsyltetøy på vaffel er best.", "Räksmörgås med ägg och majonnäs.", "Kva tid går neste ferje?"];

    [Fact]
    public async Task RerankAnswersTheLibrarysOrderAndScores()
    {
        const string query = "Kva tid går neste ferje over fjorden?";
        var model = CrossEncoder.Load(Reranker);
        var expected = model.Rank(query, Docs);
        object[] documents = [Docs[0], new { text = Docs[1] }, Docs[2], Docs[3], new { text = Docs[4] }]; // strings or {text}
        var (status, body) = await PostAsync(fixture.Client, Json(new { model = "anything", query, documents, top_n = 3 }), path: "v1/rerank");
        Assert.Equal(200, status);
        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal("ce-bert", body.GetProperty("model").GetString());
        var results = body.GetProperty("results");
        Assert.Equal(3, results.GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i].Index, results[i].GetProperty("index").GetInt32());
            Assert.Equal(expected[i].Score, results[i].GetProperty("relevance_score").GetSingle(), 6);
            Assert.Equal(Docs[expected[i].Index], results[i].GetProperty("document").GetProperty("text").GetString());
        }
        long tokens = model.Tokenize(Docs.Select(d => (query, d)).ToArray()).Sum(e => (long)e.Length);
        Assert.Equal(tokens, body.GetProperty("usage").GetProperty("total_tokens").GetInt64());

        var (_, bare) = await PostAsync(fixture.Client, Json(new { query, documents = Docs, return_documents = false }), path: "v1/rerank");
        Assert.Equal(Docs.Length, bare.GetProperty("results").GetArrayLength());
        Assert.False(bare.GetProperty("results")[0].TryGetProperty("document", out _));
    }

    [Theory]
    [InlineData("{\"documents\": [\"a\"]}", "query")]
    [InlineData("{\"query\": \"q\"}", "documents")]
    [InlineData("{\"query\": \"q\", \"documents\": []}", "documents")]
    [InlineData("{\"query\": \"q\", \"documents\": [\"a\", 3]}", "documents")]
    [InlineData("{\"query\": \"q\", \"documents\": [\"a\"], \"top_n\": 0}", "top_n")]
    [InlineData("{\"query\": \"q\", \"documents\": [\"a\"], \"return_documents\": \"yes\"}", "return_documents")]
    [InlineData("[1, 2]", null)]
    [InlineData("{\"query\": [\"q\"], \"documents\": [\"a\"]}", "query", "\"query\" must be a string")]
    [InlineData("{\"query\": \"q\", \"documents\": \"a\"}", "documents", "\"documents\" must be an array")]
    public async Task BadRequestsAreOpenAiStyle400s(string json, string? param, string? says = null)
    {
        var (status, body) = await PostAsync(fixture.Client, json, path: "v1/rerank");
        Assert.Equal(400, status);
        var error = body.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
        if (says is not null) Assert.Contains(says, error.GetProperty("message").GetString()); // present but of the wrong type: not "is required"
    }

    [Fact]
    public async Task SearchIsRerankedUnlessTheRequestSaysNot()
    {
        const string query = "Hvor kan jeg parkere sykkelen?";
        var (_, plain) = await PostAsync(fixture.Client, Json(new { query, mode = "bm25", top_k = 6, rerank = false }), path: "v1/search");
        var candidates = plain.GetProperty("data").EnumerateArray()
            .Select(h => (Id: h.GetProperty("id").GetString()!, Text: FullText(h))).ToList();
        Assert.Equal(6, candidates.Count);

        var (status, body) = await PostAsync(fixture.Client, Json(new { query, mode = "bm25", top_k = 2, rerank_candidates = 6 }), path: "v1/search");
        Assert.Equal(200, status);
        var expected = CrossEncoder.Load(Reranker).Rank(query, candidates.Select(c => c.Text).ToList(), topK: 2);
        var data = body.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(candidates[expected[i].Index].Id, data[i].GetProperty("id").GetString());
            Assert.Equal(expected[i].Score, data[i].GetProperty("score").GetSingle(), 6);
        }
    }

    [Fact]
    public async Task AHybridSearchRerankedShowsTheCrossEncodersScoreUnscaled()
    {
        const string query = "Hvor kan jeg parkere sykkelen?";
        var (_, fused) = await PostAsync(fixture.Client, Json(new { query, mode = "hybrid", top_k = 4, rerank = false }), path: "v1/search");
        var plain = fused.GetProperty("data");
        Assert.Equal(4, plain.GetArrayLength());
        Assert.Equal(1f, plain[0].GetProperty("scaled_score").GetSingle()); // z-score convex: the best fused hit is 1
        Assert.All(plain.EnumerateArray(), h => Assert.InRange(h.GetProperty("scaled_score").GetSingle(), 0f, 1f));

        var (status, body) = await PostAsync(fixture.Client, Json(new { query, mode = "hybrid", top_k = 4, rerank_candidates = 4 }), path: "v1/search");
        Assert.Equal(200, status);
        var data = body.GetProperty("data");
        var expected = CrossEncoder.Load(Reranker).Rank(query, [.. plain.EnumerateArray().Select(FullText)], topK: 4);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(plain[expected[i].Index].GetProperty("id").GetString(), data[i].GetProperty("id").GetString());
            Assert.Equal(expected[i].Score, data[i].GetProperty("score").GetSingle(), 6);
            // the fused candidates' scaled scores belong to the fusion's order, not to the cross-encoder's: none is shown
            Assert.False(data[i].TryGetProperty("scaled_score", out _), $"hit {i} carries its candidate's scaled_score");
        }
    }

    private static string FullText(JsonElement hit)
    {
        string title = hit.GetProperty("title").GetString()!, text = hit.GetProperty("text").GetString()!;
        return title.Length == 0 ? text : title + " " + text;
    }
}
