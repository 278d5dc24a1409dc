using System.Text;
using System.Text.Json;
using Skald.Models;
using Skald.Models.CrossEncoders;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A server under more work than it takes: a full queue is a 503 that says when to retry; rerank requests queue for
/// the model, up to a limit, and leave the queue when their client goes.
/// </summary>
public sealed class OverloadTests
{
    private static readonly string Reranker = TestPaths.FixtureModel("ce-bert");

    [Fact]
    public async Task AFullEmbeddingQueueIs503WithRetryAfter()
    {
        // batches wait 300 s for mates, so the first request's 3 inputs stay queued; a queue of 4 has no room for 2 more
        await using var server = await StartAsync(new EmbeddingServiceOptions { MaxQueuedInputs = 4, MaxWait = TimeSpan.FromSeconds(300), MaxBatchSize = 1000 });
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        var first = PostAsync(client, Json(new { input = Texts[..3], model = "m" }));
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (server.Service!.Pending < 3 && waiting.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
        Assert.Equal(3, server.Service!.Pending);

        using var response = await client.PostAsync("v1/embeddings", new StringContent(Json(new { input = Texts[3..5], model = "m" }), Encoding.UTF8, "application/json"));
        Assert.Equal(503, (int)response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta); // OpenAI's SDKs wait this long, then retry
        var error = Error(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Contains("overloaded", error.GetProperty("message").GetString());

        await server.DisposeAsync(); // stopping runs the queued inputs at once
        Assert.Equal(200, (await first).Status);
    }

    [Fact]
    public async Task ARequestLargerThanTheWholeQueueIsA400NotA503ToRetry()
    {
        // an empty queue of 4 can never take 5 inputs: a 503 would have the OpenAI SDK retry it for ever
        await using var server = await StartAsync(new EmbeddingServiceOptions { MaxQueuedInputs = 4 });
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        var (status, body) = await PostAsync(client, Json(new { input = Texts[..5], model = "m" }));
        Assert.Equal(400, status);
        var error = Error(body);
        Assert.Equal("input", error.GetProperty("param").GetString());
        Assert.Equal("5 inputs are more than this server queues at once (4); send fewer per request", error.GetProperty("message").GetString());
        Assert.Equal(200, (await PostAsync(client, Json(new { input = Texts[..4], model = "m" }))).Status); // and 4 fit
    }

    [Fact]
    public async Task RerankRequestsQueueForTheModelUpToMaxQueueAndLeaveWhenTheirClientGoes()
    {
        var rerank = new RerankService(CrossEncoder.Load(Reranker)) { MaxQueue = 2 };
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(ModelDir), null, rerank, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        const string query = "Kva tid går neste ferje?";
        string[] docs = ["Fjorden ligg stille i morgonsola.", "Ferja går kvar time frå kaia.", "Blåbærsyltetøy på vaffel er best."];
        string body = Json(new { query, documents = docs });
        StringContent Content() => new(body, Encoding.UTF8, "application/json");

        await rerank.Turn.WaitAsync(); // the model is busy (as with another request's batch): requests wait for their turn
        Task<HttpResponseMessage> gone, kept;
        using var leaving = new CancellationTokenSource();
        try
        {
            gone = client.PostAsync("v1/rerank", Content(), leaving.Token);
            kept = client.PostAsync("v1/rerank", Content());
            await WaitFor(() => rerank.Pending == 2);

            using var refused = await client.PostAsync("v1/rerank", Content()); // a third is more than MaxQueue
            Assert.Equal(503, (int)refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("overloaded", Error(JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement).GetProperty("message").GetString());

            leaving.Cancel(); // its client goes away while it waits: it leaves the queue without being scored
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone);
            await WaitFor(() => rerank.Pending == 1);
        }
        finally
        {
            rerank.Turn.Release();
        }
        using var answer = await kept;
        Assert.Equal(200, (int)answer.StatusCode);
        var results = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("results");
        var expected = CrossEncoder.Load(Reranker).Rank(query, docs);
        Assert.Equal(expected.Select(r => r.Index), results.EnumerateArray().Select(r => r.GetProperty("index").GetInt32()));
        Assert.Equal(0, rerank.Pending);
        string metrics = await client.GetStringAsync("metrics");
        Assert.Contains("skald_requests_total{endpoint=\"rerank\",code=\"200\"} 1", metrics);
        Assert.Contains("skald_requests_total{endpoint=\"rerank\",code=\"503\"} 1", metrics);
        Assert.Contains("skald_requests_total{endpoint=\"rerank\",code=\"499\"} 1", metrics);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ARerankQueueOfNoRequestsIsRefusedWhenMade(int maxQueue)
    {
        var model = CrossEncoder.Load(Reranker);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RerankService(model) { MaxQueue = maxQueue });
        Assert.Equal("MaxQueue", e.ParamName);
        Assert.Equal(1, new RerankService(model) { MaxQueue = 1 }.MaxQueue);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void AnEmbeddingQueueOfNoInputsIsRefusedWhenMade(int maxQueued)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new EmbeddingService(SentenceEncoder.Load(ModelDir), new EmbeddingServiceOptions { MaxQueuedInputs = maxQueued }));
        Assert.Equal("options", e.ParamName);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
        Assert.True(condition(), "timed out waiting");
    }
}
