using System.Globalization;
using System.Text;
using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Models.Generation;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// The queue gauges of <c>/metrics</c> show what the 503 limits compare: the embedding batcher's pending inputs
/// (queued, gathered into a batch that waits for mates, or running) beside <c>skald_queue_inputs</c>, and the
/// reranker's requests in progress, each with its limit; the local chat model's requests waiting for a batch and
/// being decoded, with the queue's limit.
/// </summary>
public sealed class QueueMetricsTests
{
    [Fact]
    public async Task PendingInputsCountThoseGatheredIntoAWaitingBatchAndMeetTheLimit()
    {
        // batches wait 300 s for mates: the worker takes the 3 inputs out of the queue into a batch and waits there
        using var service = new EmbeddingService(SentenceEncoder.Load(ModelDir),
            new EmbeddingServiceOptions { MaxQueuedInputs = 4, MaxWait = TimeSpan.FromSeconds(300), MaxBatchSize = 1000 });
        var first = service.EmbedAsync(new EmbeddingRequest(new EmbeddingInputs(Texts[..3], null), "m", false, null));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (Metric(await Scrape(service.Metrics), "skald_queue_inputs") != 0 && watch.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);

        string metrics = await Scrape(service.Metrics);
        Assert.Equal(0, Metric(metrics, "skald_queue_inputs")); // none left in the queue...
        Assert.Equal(3, Metric(metrics, "skald_pending_inputs")); // ...but all 3 count against the limit
        Assert.Equal(4, Metric(metrics, "skald_pending_inputs_limit"));
        var refused = await Assert.ThrowsAsync<ApiException>(() =>
            service.EmbedAsync(new EmbeddingRequest(new EmbeddingInputs(Texts[3..5], null), "m", false, null))); // 3 + 2 > 4
        Assert.Equal(503, refused.Status);
        Assert.Equal(3, Metric(await Scrape(service.Metrics), "skald_pending_inputs"));

        service.Drain(); // the batch runs at once
        Assert.Equal(3, (await first).Embeddings.Length);
        Assert.Equal(0, Metric(await Scrape(service.Metrics), "skald_pending_inputs"));
    }

    [Fact]
    public async Task RerankRequestsInProgressAndTheirLimitAreGauges()
    {
        var rerank = new RerankService(CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"))) { MaxQueue = 3 };
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(ModelDir), null, rerank, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        string body = Json(new { query = "Kva tid går ferja?", documents = new[] { "Ferja går kvar time.", "Fjorden ligg stille." } });

        await rerank.Turn.WaitAsync(); // the model is busy: two requests wait for their turn
        Task<HttpResponseMessage>[] waiting;
        try
        {
            waiting = [client.PostAsync("v1/rerank", new StringContent(body, Encoding.UTF8, "application/json")),
                client.PostAsync("v1/rerank", new StringContent(body, Encoding.UTF8, "application/json"))];
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (rerank.Pending < 2 && watch.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
            string metrics = await client.GetStringAsync("metrics");
            Assert.Equal(2, Metric(metrics, "skald_rerank_requests"));
            Assert.Equal(3, Metric(metrics, "skald_rerank_requests_limit"));
        }
        finally
        {
            rerank.Turn.Release();
        }
        foreach (var task in waiting)
        {
            using var response = await task;
            Assert.Equal(200, (int)response.StatusCode);
        }
        Assert.Equal(0, Metric(await client.GetStringAsync("metrics"), "skald_rerank_requests"));
    }

    [Fact]
    public async Task ChatRequestsQueuedAndRunningAreGauges()
    {
        using var offered = new SemaphoreSlim(0);
        using var go = new ManualResetEventSlim();
        using var local = new SkaldChatClient(TextGenerator.Load(ChatModelFolder.Create("decoder-qwen2")), "tiny-chat")
        {
            MaxQueue = 5,
            OfferingRow = () => // the decoding thread, between two steps of the first request: held until go
            {
                if (go.IsSet) return;
                offered.Release();
                go.Wait(TimeSpan.FromSeconds(120));
            },
        };
        await using var server = await EmbeddingServer.StartLiveAsync(null, null, null, new ChatService(local, "tiny-chat"), "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        string body = Json(new { messages = new[] { new { role = "user", content = "Hei" } }, max_tokens = 4 });
        string metrics = await client.GetStringAsync("metrics");
        Assert.Equal(0, Metric(metrics, "skald_chat_requests_queued"));
        Assert.Equal(0, Metric(metrics, "skald_chat_requests_running"));
        Assert.Equal(5, Metric(metrics, "skald_chat_requests_queued_limit"));

        Task<HttpResponseMessage> first, second;
        try
        {
            first = client.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(await offered.WaitAsync(TimeSpan.FromSeconds(120)), "the first request never started decoding");
            second = client.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (local.Pending < 2 && watch.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
            metrics = await client.GetStringAsync("metrics");
            Assert.Equal(1, Metric(metrics, "skald_chat_requests_queued")); // the second waits: the decoding thread is held
            Assert.Equal(1, Metric(metrics, "skald_chat_requests_running"));
        }
        finally
        {
            go.Set();
        }
        foreach (var task in new[] { first, second })
        {
            using var response = await task;
            Assert.Equal(200, (int)response.StatusCode);
        }
        metrics = await client.GetStringAsync("metrics");
        Assert.Equal(0, Metric(metrics, "skald_chat_requests_queued"));
        Assert.Equal(0, Metric(metrics, "skald_chat_requests_running"));
    }

    private static async Task<string> Scrape(ServingMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.WriteAsync(stream, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static double Metric(string text, string name) => double.Parse(
        text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], CultureInfo.InvariantCulture);
}
