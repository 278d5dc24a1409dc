using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Index;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/search</c> over a sparse encoder's index (fixtures/models/splade-bert-tiny): the same hits and scores as
/// <c>skald search</c> in dense and hybrid mode.
/// </summary>
public sealed class SparseSearchEndpointTests
{
    [Theory]
    [InlineData("dense")]
    [InlineData("hybrid")]
    public Task HitsEqualSkaldSearch(string mode) =>
        AssertServerMatchesCli(TestPaths.FixtureModel("splade-bert-tiny"), mode, 5, "--language", "nb");

    /// <summary>
    /// Builds an index of the sample documents with <paramref name="model"/> (and <paramref name="buildOptions"/>), then
    /// checks that <c>POST /v1/search</c>, serving the model, returns <c>skald search</c>'s hits and scores.
    /// </summary>
    internal static async Task AssertServerMatchesCli(string model, string mode, int k, params string[] buildOptions)
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = SkaldProcess.Run(["index", "build", "--model", model, "--documents", SampleDocuments.Folder,
            "--output", folder, "-q", .. buildOptions]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        const string query = "Hvor kan jeg parkere sykkelen?";
        string top = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        r = SkaldProcess.Run("search", "--index", folder, "--query", query, "--mode", mode, "--top-k", top, "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var expected = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray()
            .Select(h => (h.GetProperty("id").GetString(), h.GetProperty("score").GetSingle())).ToList();

        using var index = SearchIndex.Open(folder);
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(model), index, null, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (status, body) = await PostAsync(client, Json(new { query, mode, top_k = k }), path: "v1/search");
        Assert.Equal(200, status);
        var got = body.GetProperty("data").EnumerateArray().Select(h => (h.GetProperty("id").GetString(), h.GetProperty("score").GetSingle())).ToList();
        Assert.NotEmpty(got);
        Assert.Equal(expected.Select(e => e.Item1), got.Select(g => g.Item1));
        for (int i = 0; i < got.Count; i++) Assert.Equal(expected[i].Item2, got[i].Item2, 4);
    }

    [Theory]
    [InlineData("splade-bert-tiny", null)]
    [InlineData("splade-router-tiny", "query")] // inference-free: queries are their tokens' static weights
    [InlineData("splade-router-tiny", "document")]
    public async Task SparseEncodingFormatGivesTheNonZeroEntries(string name, string? inputType)
    {
        var encoder = SentenceEncoder.Load(TestPaths.FixtureModel(name));
        string[] texts = ["Hvor kan jeg parkere sykkelen?", "Kantinen serverer suppe på fredager."];
        var expected = encoder.EncodeSparse(texts, new EncodeOptions { Route = inputType });
        await using var server = await EmbeddingServer.StartAsync(encoder, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (status, body) = await PostAsync(client, Json(new { input = texts, encoding_format = "sparse", input_type = inputType }));
        Assert.Equal(200, status);
        int i = 0;
        foreach (var item in body.GetProperty("data").EnumerateArray())
        {
            var e = item.GetProperty("embedding");
            Assert.Equal(expected[i].Indices, e.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()));
            Assert.Equal(expected[i].Values, e.GetProperty("values").EnumerateArray().Select(x => x.GetSingle()));
            i++;
        }
        Assert.Equal(2, i);
        var (bad, error) = await PostAsync(client, Json(new { input = "x", encoding_format = "sparse", dimensions = 8 }));
        Assert.Equal(400, bad);
        Assert.Equal("dimensions", Error(error).GetProperty("param").GetString());
    }

    /// <summary>max_active_dims keeps each embedding's N largest entries (a CSR model's code and a SPLADE vector alike).</summary>
    [Theory]
    [InlineData("splade-bert-tiny", 5)]
    [InlineData("csr-bert-tiny", 4)]
    public async Task MaxActiveDimsKeepsTheLargestEntries(string name, int active)
    {
        var encoder = SentenceEncoder.Load(TestPaths.FixtureModel(name));
        string[] texts = ["Hvor kan jeg parkere sykkelen?", "Kantinen serverer suppe på fredager."];
        var expected = texts.Select(t => SparseEmbedding.FromDense(encoder.Encode(t), active)).ToArray();
        await using var server = await EmbeddingServer.StartAsync(encoder, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (status, body) = await PostAsync(client, Json(new { input = texts, encoding_format = "sparse", max_active_dims = active }));
        Assert.Equal(200, status);
        int i = 0;
        foreach (var item in body.GetProperty("data").EnumerateArray())
        {
            var e = item.GetProperty("embedding");
            Assert.Equal(active, e.GetProperty("indices").GetArrayLength());
            Assert.Equal(expected[i].Indices, e.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()));
            Assert.Equal(expected[i++].Values, e.GetProperty("values").EnumerateArray().Select(x => x.GetSingle()));
        }
        var (bad, error) = await PostAsync(client, Json(new { input = "x", max_active_dims = 0 }));
        Assert.Equal(400, bad);
        Assert.Equal("max_active_dims", Error(error).GetProperty("param").GetString());
    }

    [Fact]
    public async Task SparseEncodingFormatOnADenseModelIsA400()
    {
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(ModelDir), "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (status, body) = await PostAsync(client, Json(new { input = "x", encoding_format = "sparse" }));
        Assert.Equal(400, status);
        Assert.Contains("is for sparse encoders", Error(body).GetProperty("message").GetString());
        (status, body) = await PostAsync(client, Json(new { input = "x", max_active_dims = 4 }));
        Assert.Equal(400, status);
        Assert.Equal("max_active_dims", Error(body).GetProperty("param").GetString());
    }
}
