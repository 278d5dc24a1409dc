using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// The server's own BGE-M3 weights (<see cref="EmbeddingServiceOptions.BgeM3Weights"/>, <c>skald serve --bge-m3-weights</c>)
/// over an index of the dense and sparse outputs of fixtures/models/bge-m3-tiny: a <c>/v1/search</c> request without
/// <c>bge_m3_weights</c> gets the hits and scores of <see cref="BgeM3Encoder.Rank"/> with the server's weights, one with
/// its own weights those of its own; weights that use an output the index lacks, or given over another index, stop
/// the server from starting (an <see cref="ArgumentException"/> naming the index). <c>skald serve
/// --reranker-bge-m3-weights</c> sets a BGE-M3 reranker's default apart from the index's; without it
/// <c>--bge-m3-weights</c> is both's.
/// </summary>
public sealed partial class BgeM3ServeWeightsTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    private static readonly string[] Texts = BgeM3EndpointTests.Texts;

    private static readonly BgeM3Weights ServerWeights = new(0.3f, 0.7f, 0f); // neither 1,1,1 nor the index's default 1,1,0

    private const string Query = "Når går ferja?";

    // An index of the dense and sparse outputs of Texts, row i with id "t{i}".
    private static string DenseAndSparseIndex()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var m3 = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.Dense | BgeM3Outputs.Sparse);
        TextIndex.Build(folder, m3, [.. Texts.Select((t, i) => TextIndex.Record($"t{i}", t))], "nb");
        return folder;
    }

    // The served hits in the order and with the scores of m3.Rank over Texts with `weights`.
    private static void AssertRankedBy(BgeM3Encoder m3, BgeM3Weights weights, JsonElement body, int topK) =>
        BgeM3EndpointTests.AssertRanked(m3.Rank(Query, Texts, weights, topK), body.GetProperty("data"), BgeM3EndpointTests.Row, "score");

    [Fact]
    public async Task TheServersWeightsAreTheDefaultAndARequestsOwnOverrideThem()
    {
        using var live = new LiveIndex(SearchIndex.Open(DenseAndSparseIndex()), owns: true);
        using var encoder = SentenceEncoder.Load(Model);
        using var m3 = BgeM3Encoder.Load(Model);
        await using var server = await EmbeddingServer.StartLiveAsync(encoder, live, null, "127.0.0.1", 0, new EmbeddingServiceOptions { BgeM3Weights = ServerWeights });
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };

        var (status, body) = await PostAsync(client, Json(new { query = Query, mode = "dense", top_k = 4 }), path: "v1/search");
        Assert.Equal(200, status);
        AssertRankedBy(m3, ServerWeights, body, 4);
        (status, body) = await PostAsync(client, Json(new { query = Query, mode = "dense", top_k = 4, bge_m3_weights = new[] { 0.0, 1.0, 0.0 } }), path: "v1/search");
        Assert.Equal(200, status);
        AssertRankedBy(m3, new BgeM3Weights(0f, 1f, 0f), body, 4);
    }

    [Fact]
    public async Task ServerWeightsTheIndexCannotUseStopTheStart()
    {
        string m3Index = DenseAndSparseIndex(), dense = Path.Combine(TestPaths.NewTempDir(), "dense");
        using var encoder = SentenceEncoder.Load(Model);
        using (var plain = new EncoderEmbeddingModel(encoder)) TextIndex.Build(dense, plain, [.. Texts.Select((t, i) => TextIndex.Record($"t{i}", t))]);
        foreach (var (folder, weights, fragment) in new[]
        {
            (m3Index, new BgeM3Weights(0.4f, 0.2f, 0.4f), "the weights use BGE-M3's colbert score, but the index stores only dense, sparse"),
            (dense, ServerWeights, "apply to a BGE-M3 index"),
        })
        {
            using var live = new LiveIndex(SearchIndex.Open(folder), owns: true);
            var e = await Assert.ThrowsAnyAsync<ArgumentException>(() =>
                EmbeddingServer.StartLiveAsync(encoder, live, null, "127.0.0.1", 0, new EmbeddingServiceOptions { BgeM3Weights = weights }));
            Assert.Contains(folder, e.Message);
            Assert.Contains(fragment, e.Message);
        }
    }

    [Fact]
    public async Task SkaldServeBgeM3WeightsAreTheSearchDefault()
    {
        string folder = DenseAndSparseIndex();
        await ServeAsync(["--index", folder, "--bge-m3-weights", "0.3,0.7,0"], async client =>
        {
            var (status, body) = await PostAsync(client, Json(new { query = Query, mode = "dense", top_k = 4 }), path: "v1/search");
            Assert.Equal(200, status);
            using var m3 = BgeM3Encoder.Load(Model);
            AssertRankedBy(m3, ServerWeights, body, 4);
        });
    }

    [Fact]
    public async Task SkaldServeRerankerBgeM3WeightsAreTheRerankersDefaultApartFromTheIndexs()
    {
        string folder = DenseAndSparseIndex();
        using var m3 = BgeM3Encoder.Load(Model);
        var rerankerWeights = new BgeM3Weights(0.4f, 0.2f, 0.4f); // uses the ColBERT score, which the index does not store
        // both: /v1/rerank and the reranking of /v1/search by the reranker's, the index's search by --bge-m3-weights
        await ServeAsync(["--index", folder, "--reranker", Model, "--bge-m3-weights", "0.3,0.7,0", "--reranker-bge-m3-weights", "0.4,0.2,0.4"], async client =>
        {
            var (status, body) = await PostAsync(client, Json(new { query = Query, documents = Texts }), path: "v1/rerank");
            Assert.Equal(200, status);
            BgeM3EndpointTests.AssertRanked(m3.Rank(Query, Texts, rerankerWeights, Texts.Length), body.GetProperty("results"),
                r => r.GetProperty("index").GetInt32(), "relevance_score");
            (status, body) = await PostAsync(client, Json(new { query = Query, mode = "dense", top_k = 4, rerank = false }), path: "v1/search");
            Assert.Equal(200, status);
            AssertRankedBy(m3, ServerWeights, body, 4);
            (status, body) = await PostAsync(client, Json(new { query = Query, mode = "dense", top_k = Texts.Length, rerank_candidates = Texts.Length }), path: "v1/search");
            Assert.Equal(200, status);
            AssertRankedBy(m3, rerankerWeights, body, Texts.Length);
        });
        // --bge-m3-weights alone stays the default of both, as before
        await ServeAsync(["--index", folder, "--reranker", Model, "--bge-m3-weights", "0.3,0.7,0"], async client =>
        {
            var (status, body) = await PostAsync(client, Json(new { query = Query, documents = Texts }), path: "v1/rerank");
            Assert.Equal(200, status);
            BgeM3EndpointTests.AssertRanked(m3.Rank(Query, Texts, ServerWeights, Texts.Length), body.GetProperty("results"),
                r => r.GetProperty("index").GetInt32(), "relevance_score");
        });
    }

    // `skald serve --model Model --port 0 --index-refresh 0 options` in its own process, `use` run against it on 127.0.0.1.
    private static async Task ServeAsync(string[] options, Func<HttpClient, Task> use)
    {
        using var process = Process.Start(SkaldProcess.StartInfo(null, ["serve", "--model", Model, "--port", "0", "--index-refresh", "0", .. options]))!;
        try
        {
            _ = process.StandardOutput.ReadToEndAsync(); // drained: the server logs to stderr
            string? line;
            Match match;
            do // up to the start-up line with the address
            {
                line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
                Assert.True(line is not null, "skald serve ended before it listened");
                match = Address().Match(line);
            }
            while (!match.Success);
            using var client = new HttpClient { BaseAddress = new Uri(match.Value), Timeout = TimeSpan.FromSeconds(60) };
            await use(client);
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/")]
    private static partial Regex Address();
}
