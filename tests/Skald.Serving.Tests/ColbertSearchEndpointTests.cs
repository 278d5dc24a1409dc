using System.Text.Json;
using Skald.Models;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/search</c> over an index of a ColBERT model's token vectors, on a real server over loopback
/// (<see cref="EmbeddingServer.StartLateInteractionAsync"/>): hits and scores as <see cref="ColbertEncoder.Rank"/> gives
/// them over the index's rows, BM25 and hybrid answered, no <c>/v1/embeddings</c>; a dense index refused for it, and a
/// ColBERT index for a sentence embedder, in one line naming the fingerprint mismatch.
/// </summary>
public sealed class ColbertSearchEndpointTests
{
    private static readonly string Colbert = TestPaths.FixtureModel("colbert-bert-tiny");

    private static readonly string[] Texts =
    [
        "Ferja går kvar time frå kaia i sentrum.", "Bussen går 07:45 fra Jernbanetorget, spor 3.", "Blåbærsyltetøy på vaffel er best.",
        "Räksmörgås med ägg och majonnäs.", "Sykkelboden ligger bak kontoret.", "Kantina serverer lunsj mellom 11 og 13.",
    ];

    [Fact]
    public async Task SearchAnswersMaxSimHitsOfTheIndex()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Colbert);
        TextIndex.Build(folder, model, [.. Texts.Select((t, i) => TextIndex.Record($"t{i}", t))], "nb");
        using var live = new LiveIndex(SearchIndex.Open(folder), owns: true);
        await using var server = await EmbeddingServer.StartLateInteractionAsync(model, live, null, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };

        const string query = "Når går ferja?";
        var (status, body) = await PostAsync(client, Json(new { query, mode = "dense", top_k = 4 }), path: "v1/search");
        Assert.Equal(200, status);
        var expected = ((ColbertEncoder)model.Encoder).Rank(query, Texts, topK: 4);
        var data = body.GetProperty("data");
        Assert.Equal(4, data.GetArrayLength());
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal($"t{expected[i].Index}", data[i].GetProperty("id").GetString());
            Assert.True(Math.Abs(expected[i].Score - data[i].GetProperty("score").GetSingle()) <= 1e-6, $"hit {i}");
        }
        Assert.Equal(model.Encode([query], TextRole.Query)[0].Count, body.GetProperty("usage").GetProperty("total_tokens").GetInt64());
        var (hybrid, fused) = await PostAsync(client, Json(new { query = "ferja kaia", top_k = 3 }), path: "v1/search");
        Assert.Equal(200, hybrid);
        Assert.Equal("t0", fused.GetProperty("data")[0].GetProperty("id").GetString());
        var (embeddings, _) = await PostAsync(client, Json(new { input = "ferja" }), path: "v1/embeddings");
        Assert.Equal(404, embeddings);
        using var models = await client.GetAsync(new Uri("v1/models", UriKind.Relative));
        Assert.Equal(404, (int)models.StatusCode);
    }

    [Fact]
    public async Task AnIndexOfTheOtherKindIsRefusedNamingTheFingerprintMismatch()
    {
        string dir = TestPaths.NewTempDir();
        string late = Path.Combine(dir, "late"), dense = Path.Combine(dir, "dense");
        using var colbert = MultiVectorEmbeddingModel.Load(Colbert);
        using var encoder = EncoderEmbeddingModel.Load(TestPaths.FixtureModel("bert-cased-mean"));
        TextIndex.Build(late, colbert, [TextIndex.Record("a", Texts[0])]);
        TextIndex.Build(dense, encoder, [TextIndex.Record("a", Texts[0])]);
        using (var live = new LiveIndex(SearchIndex.Open(dense), owns: true))
        {
            var e = await Assert.ThrowsAsync<ArgumentException>(() => EmbeddingServer.StartLateInteractionAsync(colbert, live, null, "127.0.0.1", 0));
            Assert.Contains("was built with the model", e.Message);
        }
        using var lateIndex = SearchIndex.Open(late);
        var refused = Assert.Throws<ArgumentException>(() => SearchService.CheckModel(lateIndex, encoder.Encoder));
        Assert.Contains("was built with the model", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }
}
