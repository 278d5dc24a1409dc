using System.Globalization;
using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Index;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>/v1/search</c>'s range conditions, <c>"where": {"year": {"gte": 2020, "lt": 2024}}</c> beside the exact form:
/// the same hits as <c>skald search --where</c>, exactly the rows whose values compare, and a 400 naming the field for a
/// malformed condition (the server keeps serving).
/// </summary>
public sealed class SearchRangeFilterEndpointTests
{
    // notes.jsonl row i (line i + 1): a year, a published date and a tenant; half the rows have no "published"
    private static readonly (int Year, DateOnly? Published, string Tenant)[] Rows =
        [.. Enumerable.Range(0, 12).Select(i => (2016 + i, i % 2 == 0 ? new DateOnly(2024, 1, 1).AddDays(i * 20) : (DateOnly?)null, i % 3 == 0 ? "oslo" : "bergen"))];

    private static async Task Serve(Func<HttpClient, string, Task> test)
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs"), folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        Directory.CreateDirectory(docs);
        File.WriteAllLines(Path.Combine(docs, "notes.jsonl"), Rows.Select((r, i) => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["text"] = $"Notat {i} om sykkelparkering og kantinen.",
            ["year"] = r.Year,
            ["tenant"] = r.Tenant,
        }.Concat(r.Published is { } p ? [new("published", p.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))] : []).ToDictionary())));
        var built = SkaldProcess.Run("index", "build", "--model", ModelDir, "--documents", docs, "--output", folder, "-q");
        Assert.True(built.ExitCode == 0, built.Stderr);
        using var index = SearchIndex.Open(folder);
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(ModelDir), index, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        await test(client, folder);
    }

    private static string[] Documents(JsonElement hits) =>
        [.. hits.EnumerateArray().Select(h => h.GetProperty("document").GetString()!).Order(StringComparer.Ordinal)];

    private static string[] Expected(Func<(int Year, DateOnly? Published, string Tenant), bool> keep) =>
        [.. Rows.Select((r, i) => (r, i)).Where(x => keep(x.r)).Select(x => $"notes.jsonl:{x.i + 1}").Order(StringComparer.Ordinal)];

    [Fact]
    public async Task RangesGiveTheRowsWhoseValuesCompareAndWhatSkaldSearchGives()
    {
        await Serve(async (client, folder) =>
        {
            var cases = new (object Where, string[] Cli, string[] Expected)[]
            {
                (new { year = new { gte = 2020, lt = 2024 } }, ["year>=2020", "year<2024"], Expected(r => r.Year is >= 2020 and < 2024)),
                (new { published = new { gt = "2024-03-01" } }, ["published>2024-03-01"], Expected(r => r.Published > new DateOnly(2024, 3, 1))),
                (new { tenant = new { ne = "oslo" }, year = new { lte = 2019.5 } }, ["tenant!=oslo", "year<=2019.5"], Expected(r => r.Tenant != "oslo" && r.Year <= 2019.5)),
                (new { tenant = "oslo", year = new { gt = 2018 } }, ["tenant=oslo", "year>2018"], Expected(r => r.Tenant == "oslo" && r.Year > 2018)),
            };
            foreach (var (where, cli, expected) in cases)
            {
                Assert.NotEmpty(expected);
                var (status, body) = await PostAsync(client, Json(new { query = "sykkelparkering", mode = "dense", top_k = 50, where }), path: "v1/search");
                Assert.Equal(200, status);
                Assert.Equal(expected, Documents(body.GetProperty("data"))); // dense: every passing row
                var r = SkaldProcess.Run(["search", "--index", folder, "--query", "sykkelparkering", "--mode", "dense", "--top-k", "50", "--format", "json",
                    .. cli.SelectMany(c => new[] { "--where", c })]);
                Assert.True(r.ExitCode == 0, r.Stderr);
                Assert.Equal(body.GetProperty("data").EnumerateArray().Select(h => h.GetProperty("id").GetString()),
                    JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray().Select(h => h.GetProperty("id").GetString()));
            }
        });
    }

    [Fact]
    public async Task AMalformedConditionIsA400NamingTheField()
    {
        await Serve(async (client, _) =>
        {
            foreach (var (json, named) in new[]
            {
                ("{\"year\": {\"gtx\": 1}}", "where.year: \"gtx\" is not a comparison"),
                ("{\"year\": {}}", "where.year: an empty object"),
                ("{\"year\": {\"gte\": null}}", "where.year.gte must be a string, number or boolean"),
                ("{\"year\": {\"gte\": [2020]}}", "where.year.gte must be a string, number or boolean"),
                ("{\"year\": {\"lt\": \"\"}}", "where.year.lt: field \"year\": < needs a value"),
                ("{\"year\": {\"gt\": \"NaN\"}}", "where.year.gt: field \"year\": > NaN compares with nothing"),
            })
            {
                var (status, body) = await PostAsync(client, "{\"query\": \"sykkel\", \"where\": " + json + "}", path: "v1/search");
                Assert.Equal(400, status);
                var error = Error(body);
                Assert.Equal("where", error.GetProperty("param").GetString());
                Assert.Contains(named, error.GetProperty("message").GetString());
            }
            var (ok, _) = await PostAsync(client, Json(new { query = "sykkel", top_k = 1 }), path: "v1/search");
            Assert.Equal(200, ok);
        });
    }
}
