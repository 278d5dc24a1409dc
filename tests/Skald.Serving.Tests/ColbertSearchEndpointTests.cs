using System.Text.Json;
using Skald.Models;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Plaid;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/search</c> over an index of a ColBERT model's token vectors, on a real server over loopback
/// (<see cref="EmbeddingServer.StartLateInteractionAsync"/>): hits and scores as <see cref="ColbertEncoder.Rank"/> gives
/// them over the index's rows, BM25 and hybrid answered, no <c>/v1/embeddings</c>, <c>/v1/models</c> in the dense server's shape; a dense index refused for it, and a
/// ColBERT index for a sentence embedder, in one line naming the fingerprint mismatch; <c>maxsim_candidates</c> as
/// <c>skald search --maxsim-candidates</c> (the library's candidate stage), a 400 naming it on another index;
/// <c>plaid_ncells</c> / <c>plaid_ndocs</c> as <c>skald search --plaid-ncells / --plaid-ndocs</c> over a PLAID index.
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
        // /v1/models lists the model in the dense server's shape (EmbeddingsEndpointTests.ModelsListsTheServedModel).
        var models = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/models", UriKind.Relative))).RootElement;
        Assert.Equal("list", models.GetProperty("object").GetString());
        var listed = Assert.Single(models.GetProperty("data").EnumerateArray().ToArray());
        Assert.Equal(model.Name, listed.GetProperty("id").GetString());
        Assert.Equal("model", listed.GetProperty("object").GetString());
        Assert.True(listed.GetProperty("created").GetInt64() > 0);
        Assert.Equal(JsonValueKind.String, listed.GetProperty("owned_by").ValueKind);
        var one = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/models/{model.Name}", UriKind.Relative))).RootElement;
        Assert.Equal(model.Name, one.GetProperty("id").GetString());
        using var missing = await client.GetAsync(new Uri("v1/models/gpt-4", UriKind.Relative));
        Assert.Equal(404, (int)missing.StatusCode);
        using var posted = await client.PostAsync(new Uri("v1/models", UriKind.Relative), new StringContent("{}"));
        Assert.Equal(405, (int)posted.StatusCode);
    }

    [Fact]
    public async Task MaxSimCandidatesScoreOnlyThatManyRowsAsTheLibrarysCandidateStageAndAreRefusedElsewhere()
    {
        string dir = TestPaths.NewTempDir();
        string folder = Path.Combine(dir, "idx"), dense = Path.Combine(dir, "dense");
        using var model = MultiVectorEmbeddingModel.Load(Colbert);
        TextIndex.Build(folder, model, [.. Texts.Select((t, i) => TextIndex.Record($"t{i}", t))], "nb");
        using var live = new LiveIndex(SearchIndex.Open(folder), owns: true);
        await using (var server = await EmbeddingServer.StartLateInteractionAsync(model, live, null, "127.0.0.1", 0))
        {
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            using var index = SearchIndex.Open(folder);
            IReadOnlyList<IndexHit> Library(string q, int candidates) =>
                index.SearchTokens(q, model.Encode([q], TextRole.Query)[0], SearchMode.Dense, 2, candidates: candidates);
            // a query whose two best rows by mean vector are not its two best by MaxSim, so the stage shows in the hits
            string query = new[] { "Når går ferja?", "lunsj", "sykkel", "buss spor", "smörgås", "vaffel", "kontoret", "ägg", "kaia", "time" }
                .First(q => !Library(q, 2).Select(h => h.Row).SequenceEqual(Library(q, 0).Select(h => h.Row)));
            var expected = Library(query, 2);
            var (status, body) = await PostAsync(client, Json(new { query, mode = "dense", top_k = 2, maxsim_candidates = 2 }), path: "v1/search");
            Assert.Equal(200, status);
            var data = body.GetProperty("data");
            Assert.Equal(expected.Select(h => h.Record.Id), data.EnumerateArray().Select(d => d.GetProperty("id").GetString()));
            for (int i = 0; i < expected.Count; i++)
                Assert.True(Math.Abs(expected[i].Score - data[i].GetProperty("score").GetSingle()) <= 1e-6, $"hit {i}");
            var (zero, error) = await PostAsync(client, Json(new { query = "ferja", maxsim_candidates = 0 }), path: "v1/search");
            Assert.Equal(400, zero);
            Assert.Equal("maxsim_candidates", error.GetProperty("error").GetProperty("param").GetString());
        }

        using var encoder = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using (var plain = new EncoderEmbeddingModel(encoder)) TextIndex.Build(dense, plain, [TextIndex.Record("a", Texts[0])]);
        using var denseLive = new LiveIndex(SearchIndex.Open(dense), owns: true);
        await using var denseServer = await EmbeddingServer.StartLiveAsync(encoder, denseLive, null, "127.0.0.1", 0);
        using var denseClient = new HttpClient { BaseAddress = denseServer.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (refused, message) = await PostAsync(denseClient, Json(new { query = "ferja", maxsim_candidates = 5 }), path: "v1/search");
        Assert.Equal(400, refused);
        Assert.Contains("maxsim_candidates applies to a late-interaction (ColBERT) index", message.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("maxsim_candidates", message.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task PlaidSettingsReachAPlaidIndexsSearchAsTheLibraryTakesThemAndAreRefusedElsewhere()
    {
        string dir = TestPaths.NewTempDir();
        string folder = Path.Combine(dir, "plaid"), exact = Path.Combine(dir, "exact");
        using var model = MultiVectorEmbeddingModel.Load(Colbert);
        var records = Texts.Select((t, i) => TextIndex.Record($"t{i}", t)).ToList();
        TextIndex.Build(folder, model, records, "nb", precision: TokenPrecision.Plaid, plaid: new PlaidOptions { Bits = 2, Centroids = 8 });
        using var index = SearchIndex.Open(folder);
        IReadOnlyList<IndexHit> Library(string q, PlaidSearchOptions? o) => index.SearchTokens(q, model.Encode([q], TextRole.Query)[0], SearchMode.Dense, 3, plaid: o);
        // settings whose hits differ from the defaults' (ndocs 4 leaves one row to score), so the request's must reach the search
        var narrow = new PlaidSearchOptions { Cells = 1, Documents = 4 };
        const string query = "Når går ferja?";
        Assert.NotEqual(Library(query, null).Count, Library(query, narrow).Count);
        using var live = new LiveIndex(SearchIndex.Open(folder), owns: true);
        await using (var server = await EmbeddingServer.StartLateInteractionAsync(model, live, null, "127.0.0.1", 0))
        {
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            foreach (var (fields, options) in new (object, PlaidSearchOptions?)[]
            {
                (new { query, mode = "dense", top_k = 3, plaid_ncells = 1, plaid_ndocs = 4 }, narrow),
                (new { query, mode = "dense", top_k = 3 }, null),
            })
            {
                var expected = Library(query, options);
                var (status, body) = await PostAsync(client, Json(fields), path: "v1/search");
                Assert.Equal(200, status);
                var data = body.GetProperty("data");
                Assert.Equal(expected.Select(h => h.Record.Id), data.EnumerateArray().Select(d => d.GetProperty("id").GetString()));
                for (int i = 0; i < expected.Count; i++)
                    Assert.True(Math.Abs(expected[i].Score - data[i].GetProperty("score").GetSingle()) <= 1e-6, $"hit {i}");
            }
            foreach (var (fields, param) in new (object, string)[]
            {
                (new { query, plaid_ncells = 0 }, "plaid_ncells"),
                (new { query, plaid_ndocs = 1_000_000 }, "plaid_ndocs"),
                (new { query, plaid_ncells = 2, maxsim_candidates = 3 }, "maxsim_candidates"),
            })
            {
                var (bad, error) = await PostAsync(client, Json(fields), path: "v1/search");
                Assert.Equal(400, bad);
                Assert.Equal(param, error.GetProperty("error").GetProperty("param").GetString());
            }
        }

        TextIndex.Build(exact, model, records, "nb");
        using var exactLive = new LiveIndex(SearchIndex.Open(exact), owns: true);
        await using var exactServer = await EmbeddingServer.StartLateInteractionAsync(model, exactLive, null, "127.0.0.1", 0);
        using var exactClient = new HttpClient { BaseAddress = exactServer.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (refused, message) = await PostAsync(exactClient, Json(new { query = "ferja", plaid_ndocs = 16 }), path: "v1/search");
        Assert.Equal(400, refused);
        Assert.Contains("plaid_ndocs applies to a PLAID index", message.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("plaid_ndocs", message.GetProperty("error").GetProperty("param").GetString());
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
