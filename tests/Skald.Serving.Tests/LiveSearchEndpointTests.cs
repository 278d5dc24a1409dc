using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Index;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/search</c> over a <see cref="LiveIndex"/>: documents added and deleted by <c>skald index add</c> /
/// <c>index delete</c> in another process are served without a restart, and a rebuild with another model is not.
/// </summary>
public sealed class LiveSearchEndpointTests
{
    private static async Task<string[]> Ids(HttpClient client, string query)
    {
        var (status, body) = await PostAsync(client, Json(new { query, mode = "bm25", top_k = 5 }), path: "v1/search");
        Assert.Equal(200, status);
        return [.. body.GetProperty("data").EnumerateArray().Select(h => h.GetProperty("id").GetString()!)];
    }

    private static async Task<string[]> Until(HttpClient client, string query, Func<string[], bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(120); // (a hang guard)
        string[] ids;
        while (!done(ids = await Ids(client, query)) && DateTime.UtcNow < until) await Task.Delay(100);
        return ids;
    }

    [Fact]
    public async Task AddedAndDeletedDocumentsAreServedWithoutARestart()
    {
        string dir = TestPaths.NewTempDir(), docs = SampleDocuments.Copy(), folder = Path.Combine(dir, "idx");
        var built = SkaldProcess.Run("index", "build", "--model", ModelDir, "--documents", docs, "--output", folder, "--language", "nb", "-q");
        Assert.True(built.ExitCode == 0, built.Stderr);
        var encoder = SentenceEncoder.Load(ModelDir);
        var log = new List<string>();
        using var live = new LiveIndex(folder, TimeSpan.FromMilliseconds(100), m => { lock (log) log.Add(m); }, i => SearchService.CheckModel(i, encoder));
        await using var server = await EmbeddingServer.StartLiveAsync(encoder, live, null, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        const string Query = "fjordhesten Blakken i stallen";
        Assert.DoesNotContain(await Ids(client, Query), id => id.Contains("fjordhest", StringComparison.Ordinal));

        string extra = Path.Combine(dir, "fjordhest.txt");
        File.WriteAllText(extra, "Fjordhesten Blakken står i stallen bak kontoret. Han får høy hver morgen klokken sju.");
        var add = SkaldProcess.Run("index", "add", "--index", folder, "--documents", extra, "-q");
        Assert.True(add.ExitCode == 0, add.Stderr);
        var found = await Until(client, Query, ids => ids.Length > 0 && ids[0].Contains("fjordhest", StringComparison.Ordinal));
        Assert.EndsWith("fjordhest.txt#c0", found[0]);

        var delete = SkaldProcess.Run("index", "delete", "--index", folder, "--source", extra);
        Assert.True(delete.ExitCode == 0, delete.Stderr);
        var gone = await Until(client, Query, ids => !ids.Any(id => id.Contains("fjordhest", StringComparison.Ordinal)));
        Assert.DoesNotContain(gone, id => id.Contains("fjordhest", StringComparison.Ordinal));

        // Rebuilt with another model: refused, the previous version stays served.
        var other = SkaldProcess.Run("index", "build", "--model", TestPaths.FixtureModel("bert-uncased-max"), "--documents", docs, "--output", folder, "-q");
        Assert.True(other.ExitCode == 0, other.Stderr);
        var until = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < until && !Snapshot(log).Any(l => l.Contains("not served", StringComparison.Ordinal))) await Task.Delay(100);
        Assert.Contains(Snapshot(log), l => l.Contains("not served", StringComparison.Ordinal) && l.Contains("built with the model", StringComparison.Ordinal));
        Assert.NotEmpty(await Ids(client, "glutenfritt brød"));
    }

    private static List<string> Snapshot(List<string> log)
    {
        lock (log) return [.. log];
    }
}
