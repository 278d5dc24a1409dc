using System.Text;
using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Index;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/search</c> while a memory-mapped file of the served index is cut shorter in place by another process: a
/// 503 whose message is the one line naming the file (not a generic 500 "see its log"), with <c>Retry-After</c>; the
/// server's other endpoints go on (<c>/health</c> stays 200, its body saying the index is unavailable and why), and once
/// the file is whole again the same server searches it as before.
/// </summary>
public sealed class IndexFileCutEndpointTests
{
    [Fact]
    public async Task ASearchOfACutIndexIs503NamingTheFileAndTheServerGoesOn()
    {
        string folder = SampleDocuments.CopyOfIndex(SkaldProcess.Run, ModelDir, "--language", "nb");
        string rows = Path.Combine(folder, IndexWriter.EmbeddingsFile);
        byte[] whole = File.ReadAllBytes(rows);
        using var index = SearchIndex.Open(folder);
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(ModelDir), index, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        string body = Json(new { query = "Hvor kan jeg parkere sykkelen?", mode = "dense", top_k = 3 });
        var (status, before) = await PostAsync(client, body, path: "v1/search");
        Assert.Equal(200, status);
        var health = await Health(client);
        Assert.Equal("ok", health.GetProperty("index").GetString());
        Assert.False(health.TryGetProperty("index_error", out _));

        using (var other = new FileStream(rows, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) other.SetLength(whole.Length / 2); // as another process would
        foreach (string mode in new[] { "dense", "bm25", "hybrid" })
        {
            using var response = await client.PostAsync("v1/search", new StringContent(Json(new { query = "sykkel", mode, top_k = 3 }), Encoding.UTF8, "application/json"));
            Assert.Equal(503, (int)response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            var error = Error(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
            Assert.Equal("server_error", error.GetProperty("type").GetString());
            string message = error.GetProperty("message").GetString()!;
            Assert.StartsWith($"{rows}: cut to {whole.Length / 2} bytes", message);
            Assert.DoesNotContain('\n', message);
        }
        // /health stays 200 and "ok" (embeddings are still served), and says the index is not, with the 503's line
        var cut = await Health(client);
        Assert.Equal("ok", cut.GetProperty("status").GetString());
        Assert.Equal("unavailable", cut.GetProperty("index").GetString());
        Assert.StartsWith($"{rows}: cut to {whole.Length / 2} bytes", cut.GetProperty("index_error").GetString());
        using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "health"))) Assert.Equal(200, (int)head.StatusCode);
        Assert.Contains("skald_requests_total{endpoint=\"search\",code=\"503\"} 3", await client.GetStringAsync("metrics"));

        using (var other = new FileStream(rows, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) other.Write(whole); // whole again, in place
        var (again, after) = await PostAsync(client, body, path: "v1/search");
        Assert.Equal(200, again);
        Assert.Equal(before.GetProperty("data").GetRawText(), after.GetProperty("data").GetRawText());
        Assert.Equal("ok", (await Health(client)).GetProperty("index").GetString());
    }

    private static async Task<JsonElement> Health(HttpClient client)
    {
        using var response = await client.GetAsync("health");
        Assert.Equal(200, (int)response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
