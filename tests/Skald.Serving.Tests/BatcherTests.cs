using Skald.Serving;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>The dynamic batcher merges concurrent requests into shared forward passes and keeps each request's order.</summary>
public sealed class BatcherTests
{
    [Fact]
    public async Task ConcurrentRequestsShareForwardPasses()
    {
        // 16 requests of 1 to 4 inputs, 40 in all: a batch closes when it holds 40 (or after ten minutes), so however
        // slowly a loaded machine sends them, they meet in one batch (before, they had to arrive within 500 ms)
        int total = Enumerable.Range(0, 16).Sum(r => 1 + r % 4);
        await using var server = await StartAsync(new EmbeddingServiceOptions { MaxWait = TimeSpan.FromMinutes(10), MaxBatchSize = total });
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(300) };
        var reference = Skald.Models.SentenceEncoder.Load(ModelDir);
        var expected = reference.Encode(Texts);
        var tasks = Enumerable.Range(0, 16).Select(r =>
        {
            int n = 1 + r % 4, start = r;
            return Task.Run(async () =>
            {
                var (status, body) = await PostAsync(client, Json(new { input = Texts[start..(start + n)], model = "m" }));
                Assert.Equal(200, status);
                var got = Embeddings(body);
                for (int i = 0; i < n; i++) AssertClose(expected[start + i], got[i]);
            });
        }).ToArray();
        await Task.WhenAll(tasks);
        string metrics = await client.GetStringAsync("metrics");
        double passes = Metric(metrics, "skald_batch_size_count"), inputs = Metric(metrics, "skald_batch_size_sum");
        Assert.Equal(total, inputs);
        Assert.True(passes < 16, $"{passes} forward passes for 16 concurrent requests: nothing was merged");
    }

    [Fact]
    public async Task ASmallRequestBesideABigOneRidesInTheNextBatch()
    {
        // batches of 4: the big request's 20 inputs take five passes; the small one, queued while the first pass runs,
        // is gathered with the big one's next inputs (one of each request in turn), so it is done when the third starts
        var encoder = Skald.Models.SentenceEncoder.Load(ModelDir);
        using var service = new EmbeddingService(encoder, new EmbeddingServiceOptions { MaxBatchSize = 4 });
        var batcher = service.Batcher;
        int layers = encoder.Transformer.Config.NumLayers, calls = 0, doneBy = 0;
        Task<float[][]>? small = null;
        batcher.Tape.LayerStarting = () => // (the worker's passes only, one at a time)
        {
            int n = calls++;
            if (n % layers != 0) return;
            int pass = n / layers + 1; // the pass now starting
            if (pass == 1) small = batcher.Submit(encoder.Prepare([Texts[20]]));
            else if (doneBy == 0 && small!.IsCompleted) doneBy = pass - 1;
        };
        var big = await batcher.Submit(encoder.Prepare(Texts[..20]));
        var one = await small!;

        Assert.Equal(2, doneBy); // (0: done after the big one's last pass, as when the queue went input by input)
        var expected = Skald.Models.SentenceEncoder.Load(ModelDir).Encode(Texts[..21]);
        for (int i = 0; i < 20; i++) AssertClose(expected[i], big[i]);
        AssertClose(expected[20], one[0]);
    }

    [Fact]
    public async Task ACancelledRequestLeavesTheQueueWithoutWaitingForItsBatch()
    {
        // a batch waits up to ten minutes for mates: the request's inputs sit in the queue until it is cancelled
        using var service = new EmbeddingService(Skald.Models.SentenceEncoder.Load(ModelDir),
            new EmbeddingServiceOptions { MaxWait = TimeSpan.FromMinutes(10), MaxBatchSize = 64 });
        using var cancel = new CancellationTokenSource();
        var task = service.EmbedAsync(new EmbeddingRequest(new EmbeddingInputs([Texts[0], Texts[1]], null), "m", false, null), cancel.Token);
        Assert.Equal(2, service.Pending);
        cancel.Cancel();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        while (service.Pending > 0 && waited.Elapsed < TimeSpan.FromSeconds(120)) await Task.Delay(10); // (a hang guard)
        Assert.Equal(0, service.Pending); // dropped from the queue, not embedded when the ten minutes were up
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            service.EmbedAsync(new EmbeddingRequest(new EmbeddingInputs([Texts[0]], null), "m", false, null), cancel.Token));
        Assert.Equal(0, service.Pending); // a request cancelled before it is queued is never queued
    }
}
