using System.Text;
using Skald.Models;
using Skald.Models.Generation;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A batch of the local chat model that fails before its decoding starts (here a failure injected as the batch begins,
/// before its cache is sized) fails its own requests, which the endpoint answers with its usual error line, and the queue
/// goes on: a request queued behind it, and one sent later, are answered; none is left counted running.
/// </summary>
public sealed class ChatBatchFailureTests
{
    [Fact]
    public async Task AFailureBeforeTheBatchDecodesFailsItsRequestsAndTheQueueGoesOn()
    {
        using var reached = new SemaphoreSlim(0);
        using var go = new ManualResetEventSlim();
        int batches = 0;
        using var local = new SkaldChatClient(TextGenerator.Load(ChatModelFolder.Create("decoder-qwen2")), "tiny-chat")
        {
            MaxQueue = 5,
            DecodingBatch = () =>
            {
                if (Interlocked.Increment(ref batches) != 1) return;
                reached.Release(); // the first batch: held until a second request waits behind it, then it fails
                go.Wait(TimeSpan.FromSeconds(120));
                throw new InvalidDataException("injected failure");
            },
        };
        await using var server = await EmbeddingServer.StartLiveAsync(null, null, null, new ChatService(local, "tiny-chat"), "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = Timeout.InfiniteTimeSpan };
        string body = Json(new { messages = new[] { new { role = "user", content = "Hei" } }, max_tokens = 4 });
        Task<HttpResponseMessage> Post() => client.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        Task<HttpResponseMessage> failing, behind;
        try
        {
            failing = Post();
            Assert.True(await reached.WaitAsync(TimeSpan.FromSeconds(120)), "the first request never reached its batch");
            behind = Post();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (local.Queued < 1 && watch.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
            Assert.Equal(1, local.Queued);
        }
        finally
        {
            go.Set();
        }

        // a bounded wait: a request left unsettled would otherwise hang the test, not fail it
        using (var response = await failing.WaitAsync(TimeSpan.FromSeconds(120)))
        {
            Assert.Equal(500, (int)response.StatusCode);
            Assert.Contains("the server failed on this request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var response = await behind.WaitAsync(TimeSpan.FromSeconds(120)))
            Assert.Equal(200, (int)response.StatusCode);
        using (var response = await Post().WaitAsync(TimeSpan.FromSeconds(120)))
            Assert.Equal(200, (int)response.StatusCode);

        string metrics = await client.GetStringAsync("metrics");
        Assert.Equal(0, Metric(metrics, "skald_chat_requests_running"));
        Assert.Equal(0, Metric(metrics, "skald_chat_requests_queued"));
        Assert.Equal((0, 0), (local.Running, local.Pending));
        Assert.Equal(3, batches);
    }
}
