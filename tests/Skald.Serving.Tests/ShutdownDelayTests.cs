using System.Diagnostics;
using System.Text.Json;
using Skald.Models;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <see cref="EmbeddingServiceOptions.ShutdownDelay"/> (<c>skald serve --shutdown-delay</c>) on a real server on
/// 127.0.0.1: asked to stop as Ctrl+C and SIGTERM ask, the server answers <c>/health</c> 503 "draining" at once but keeps
/// listening and serving for the delay (a load balancer's time to take it out), the requests in flight and those that
/// came during the delay are answered, and only then are new connections refused.
/// </summary>
public sealed class ShutdownDelayTests
{
    [Fact]
    public async Task TheServerServesOnThroughTheDelayWithHealth503ThenStops()
    {
        // The delay runs on a clock the test moves (ManualClock): the checks within it hold however long a loaded
        // machine takes over them (before, an 8 s delay of the wall clock had to outlast them), and the delay ends when
        // the test says. Ten minutes of it: the host's own timeout (the delay and 30 s, of the wall clock) is then far off.
        var delay = TimeSpan.FromMinutes(10);
        var clock = new ManualClock();
        var expected = SentenceEncoder.Load(ModelDir).Encode(Texts[4..6]);
        // a batching wait far longer than the test keeps the first requests queued inside the server when it is asked to stop
        var server = await StartAsync(new EmbeddingServiceOptions { MaxWait = TimeSpan.FromSeconds(300), MaxBatchSize = 1000, ShutdownDelay = delay, Time = clock });
        try
        {
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
            var inFlight = Enumerable.Range(0, 2).Select(i => PostAsync(client, Json(new { input = Texts[i..(i + 2)], model = "m" }))).ToArray();
            var waiting = Stopwatch.StartNew();
            while (server.Service!.Pending < 4 && waiting.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20); // (a hang guard)
            Assert.Equal(4, server.Service!.Pending);

            var stopped = server.WaitForShutdownAsync();
            server.Stop(); // what Ctrl+C and SIGTERM do
            await clock.Waiting.WaitAsync(TimeSpan.FromSeconds(120)); // the host's stopping is in the delay, its timer started
            using (var fresh = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) })
            {
                // a new connection during the delay: health says draining, and embeddings are still served
                using var health = await fresh.GetAsync("health");
                Assert.Equal(503, (int)health.StatusCode);
                Assert.Equal("draining", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
                var (status, body) = await PostAsync(fresh, Json(new { input = Texts[4..6], model = "m" }));
                Assert.Equal(200, status);
                var got = Embeddings(body);
                for (int j = 0; j < 2; j++) AssertClose(expected[j], got[j]);
            }
            foreach (var request in inFlight) Assert.Equal(200, (await request).Status); // the queued ones ran without waiting to fill
            Assert.False(stopped.IsCompleted);

            clock.Advance(delay - TimeSpan.FromTicks(1)); // all of the delay but its last tick
            using (var late = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) })
            using (var stillThere = await late.GetAsync("health"))
                Assert.Equal(503, (int)stillThere.StatusCode); // still listening
            Assert.False(stopped.IsCompleted);

            clock.Advance(TimeSpan.FromTicks(1)); // the delay is over
            await stopped.WaitAsync(TimeSpan.FromSeconds(90));
            using var after = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
            await Assert.ThrowsAsync<HttpRequestException>(() => after.GetAsync("health"));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task DisposingStopsAtOnceWithoutTheDelay()
    {
        // on a clock that never moves, a delay begun would never end (but by the host's timeout, ten minutes on): the
        // dispose ends, and no timer was ever started on the clock
        var clock = new ManualClock();
        var server = await StartAsync(new EmbeddingServiceOptions { ShutdownDelay = TimeSpan.FromMinutes(10), Time = clock });
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(0, clock.Created);
    }

    [Fact]
    public async Task ANegativeDelayIsRefused() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => StartAsync(new EmbeddingServiceOptions { ShutdownDelay = TimeSpan.FromSeconds(-1) }));
}
