using System.Text.Json;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Plaid;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>/v1/search</c> over a BGE-M3 index whose ColBERT vectors are PLAID coded (fixtures/models/bge-m3-tiny, served
/// in process): the request's <c>plaid_ncells</c> / <c>plaid_ndocs</c> reach its candidate stage, so the hits and scores
/// are those of <see cref="TextIndex.Search(SearchIndex, BgeM3EmbeddingModel, string, BgeM3Weights?, SearchMode, int, CancellationToken, PlaidSearchOptions?)"/>
/// with the same settings (and without them, its defaults'); the request's bad values are the 400s a ColBERT PLAID
/// index gives, and the settings over a BGE-M3 index that is not PLAID coded a 400 naming the field.
/// </summary>
public sealed class BgeM3PlaidServeTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    private static readonly string[] Texts =
        [.. File.ReadLines(Path.Combine(Model, "expected.jsonl")).Where(l => l.Length > 0).Take(24)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    [Fact]
    public async Task PlaidSettingsReachTheCandidateStageAsTheLibraryTakesThemAndAreRefusedOverAPlainIndex()
    {
        string dir = TestPaths.NewTempDir();
        string folder = Path.Combine(dir, "plaid"), plain = Path.Combine(dir, "plain");
        var records = Texts.Select((t, i) => TextIndex.Record($"t{i}", t)).ToList();
        using var model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.All);
        TextIndex.Build(folder, model, records, "nb", plaid: new PlaidOptions { Bits = 2, Centroids = 8 });
        using var index = SearchIndex.Open(folder);
        const string query = "Når går ferja?";
        IReadOnlyList<IndexHit> Library(PlaidSearchOptions? o) => TextIndex.Search(index, model, query, BgeM3Weights.ColbertOnly, SearchMode.Dense, 5, plaid: o);
        // settings whose hits differ from the defaults' (ndocs 4 over one cell), so the request's must reach the search
        var narrow = new PlaidSearchOptions { Cells = 1, Documents = 4 };
        static string Hits(IReadOnlyList<IndexHit> hits) => string.Join(" ", hits.Select(h => $"{h.Record.Id}:{h.Score:F5}"));
        Assert.NotEqual(Hits(Library(null)), Hits(Library(narrow)));

        using var encoder = SentenceEncoder.Load(Model);
        using (var live = new LiveIndex(SearchIndex.Open(folder), owns: true))
        await using (var server = await EmbeddingServer.StartLiveAsync(encoder, live, null, "127.0.0.1", 0))
        {
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            double[] colbertOnly = [0, 0, 1];
            foreach (var (fields, options) in new (object, PlaidSearchOptions?)[]
            {
                (new { query, mode = "dense", top_k = 5, bge_m3_weights = colbertOnly, plaid_ncells = 1, plaid_ndocs = 4 }, narrow),
                (new { query, mode = "dense", top_k = 5, bge_m3_weights = colbertOnly }, null),
            })
            {
                var expected = Library(options);
                var (status, body) = await PostAsync(client, Json(fields), path: "v1/search");
                Assert.Equal(200, status);
                var data = body.GetProperty("data");
                Assert.Equal(expected.Select(h => h.Record.Id), data.EnumerateArray().Select(d => d.GetProperty("id").GetString()));
                for (int i = 0; i < expected.Count; i++)
                    Assert.True(Math.Abs(expected[i].Score - data[i].GetProperty("score").GetSingle()) <= 1e-5, $"hit {i}");
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

        TextIndex.Build(plain, model, records.Take(4).ToList(), "nb");
        using var plainLive = new LiveIndex(SearchIndex.Open(plain), owns: true);
        await using var plainServer = await EmbeddingServer.StartLiveAsync(encoder, plainLive, null, "127.0.0.1", 0);
        using var plainClient = new HttpClient { BaseAddress = plainServer.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (refused, message) = await PostAsync(plainClient, Json(new { query, plaid_ncells = 2 }), path: "v1/search");
        Assert.Equal(400, refused);
        Assert.Contains("plaid_ncells applies to a PLAID index", message.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("plaid_ncells", message.GetProperty("error").GetProperty("param").GetString());
    }
}
