using System.Text;
using Microsoft.Extensions.AI;
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
            OfferingRow = Hold(offered, go), // the decoding thread, between two steps of the first request: held until go
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

    [Fact]
    public async Task ChatRunningCountsRequestsOutHoweverTheyEndAndIsNeverAboveTheTruth()
    {
        using var offered = new SemaphoreSlim(0);
        using var go = new ManualResetEventSlim();
        using var left = new SemaphoreSlim(0);
        using var resume = new ManualResetEventSlim();
        using var local = new SkaldChatClient(TextGenerator.Load(ChatModelFolder.Create("decoder-qwen2")), "tiny-chat")
        {
            MaxQueue = 5,
            OfferingRow = Hold(offered, go), // the decoding thread, between two steps of the first request: held until go
            LeftQueue = Hold(left, resume), // a cancelled request out of the queue, not yet counted out of Pending: held until resume
        };
        await using var server = await EmbeddingServer.StartLiveAsync(null, null, null, new ChatService(local, "tiny-chat"), "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        string body = Json(new { messages = new[] { new { role = "user", content = "Hei" } }, max_tokens = 4 });
        var options = new ChatOptions { MaxOutputTokens = 4 };

        using var cancelFirst = new CancellationTokenSource();
        var first = local.GetResponseAsync("Hei", options, cancelFirst.Token); // decoding, held between its steps
        Task? gone = null;
        try
        {
            Assert.True(await offered.WaitAsync(TimeSpan.FromSeconds(120)), "the first request never started decoding");
            Assert.Equal(1, Metric(await client.GetStringAsync("metrics"), "skald_chat_requests_running"));

            // a queued request whose client goes away: out of the queue, and never counted running
            using var hangUp = new CancellationTokenSource();
            gone = client.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), hangUp.Token);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (local.Queued < 1 && watch.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
            Assert.Equal(1, local.Queued);
            await hangUp.CancelAsync();
            Assert.True(await left.WaitAsync(TimeSpan.FromSeconds(120)), "the cancelled request never left the queue");
            string metrics = await client.GetStringAsync("metrics"); // it has left the queue and is still pending
            Assert.Equal(0, Metric(metrics, "skald_chat_requests_queued"));
            Assert.Equal(1, Metric(metrics, "skald_chat_requests_running")); // the first alone: Pending - Queued said 2
        }
        finally
        {
            resume.Set();
        }
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone!);

        // a request cancelled before it is queued is never counted; the first, cancelled while decoding, is counted out
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => local.GetResponseAsync("Hei", options, cancelled.Token));
        Assert.Equal(1, Metric(await client.GetStringAsync("metrics"), "skald_chat_requests_running"));
        await cancelFirst.CancelAsync();
        go.Set();
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        double running;
        do
        {
            running = Metric(await client.GetStringAsync("metrics"), "skald_chat_requests_running");
            Assert.InRange(running, 0, 1);
        }
        while ((running != 0 || local.Pending != 0) && quiet.Elapsed < TimeSpan.FromSeconds(60));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        string end = await client.GetStringAsync("metrics");
        Assert.Equal(0, Metric(end, "skald_chat_requests_running"));
        Assert.Equal(0, Metric(end, "skald_chat_requests_queued"));
        Assert.Equal(0, local.Running);
    }

    // A test hook that tells `reached` and waits for `release` (at most 120 s), until that is set: then it passes at once.
    private static Action Hold(SemaphoreSlim reached, ManualResetEventSlim release) => () =>
    {
        if (release.IsSet) return;
        reached.Release();
        release.Wait(TimeSpan.FromSeconds(120));
    };

    private static async Task<string> Scrape(ServingMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.WriteAsync(stream, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
