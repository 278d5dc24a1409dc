using System.Text;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// Requests the batcher joined into one batch, one of whose clients disconnects while the batch runs, on a real server
/// over loopback: the request that left costs no pass it was not already in and never cancels another's, and a pass
/// whose requests have all left stops before its next layer. Two requests of one input each; the batch closes as the
/// second arrives (MaxBatchSize 2, the first waits up to 300 s for it), so both are in it; the clients disconnect from the
/// worker's layer hook, which then waits for the server to see them go (no timing).
/// </summary>
public sealed class DisconnectWithinBatchTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120); // a hang guard

    [Fact]
    public async Task ARequestThatLeavesDuringThePassDoesNotCancelTheOthers()
    {
        await using var server = await StartAsync(new EmbeddingServiceOptions { MaxWait = TimeSpan.FromSeconds(300), MaxBatchSize = 2 });
        using var gone = new CancellationTokenSource();
        var layers = LeaveAtTheFirstLayer(server, gone, leaving: 1); // the first client disconnects as the joined pass starts
        var (left, stays) = Joined(server, Texts[0], Texts[1], gone.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => left);
        var (status, body) = await stays;
        Assert.Equal(200, status);
        AssertClose(Reference.Encode([Texts[1]])[0], Embeddings(body)[0]);
        Assert.Equal(2, layers[0]); // the pass ran to its end for the one that stayed
        await Settled(server);
    }

    [Fact]
    public async Task APassWhoseRequestsAllLeftStopsBeforeItsNextLayer()
    {
        await using var server = await StartAsync(new EmbeddingServiceOptions { MaxWait = TimeSpan.FromSeconds(300), MaxBatchSize = 2 });
        using var gone = new CancellationTokenSource();
        var layers = LeaveAtTheFirstLayer(server, gone, leaving: 2); // both clients disconnect as the pass's first layer is about to start
        var (first, second) = Joined(server, Texts[0], Texts[1], gone.Token, gone.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        await Settled(server);
        Assert.Equal(1, layers[0]); // the hook ran as layer 1 was about to start, and it never did (nor layer 2)
        using var client = new HttpClient { BaseAddress = server.Address };
        Assert.Equal(0, Metric(await client.GetStringAsync("metrics"), "skald_batch_size_count")); // the pass never finished
        server.Service!.Batcher.Tape.LayerStarting = null;
        var (status, body) = await PostAsync(client, Json(new { input = Texts[2..4], model = "m" })); // two: a full batch, no wait
        Assert.Equal(200, status); // the worker serves on, its tape's token not left cancelled
        var expected = Reference.Encode(Texts[2..4]);
        var got = Embeddings(body);
        for (int i = 0; i < 2; i++) AssertClose(expected[i], got[i]);
    }

    [Fact]
    public async Task ARequestThatLeavesBeforeItsPassStartsIsNotEmbedded()
    {
        // a longer and a shorter text, each its own pass (two together pass MaxBatchTokens) of one batch (their sum does not)
        string longer = Texts.MaxBy(t => Reference.Tokenize([t])[0].Length)!, shorter = Texts.MinBy(t => Reference.Tokenize([t])[0].Length)!;
        int tokens = Reference.Tokenize([longer])[0].Length + Reference.Tokenize([shorter])[0].Length;
        await using var server = await StartAsync(new EmbeddingServiceOptions { MaxWait = TimeSpan.FromSeconds(300), MaxBatchSize = 2, MaxBatchTokens = tokens });
        using var gone = new CancellationTokenSource();
        var layers = LeaveAtTheFirstLayer(server, gone, leaving: 1); // the shorter text's client disconnects while the longer one's pass runs
        var (left, stays) = Joined(server, shorter, longer, gone.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => left);
        var (status, body) = await stays;
        Assert.Equal(200, status);
        AssertClose(Reference.Encode([longer])[0], Embeddings(body)[0]);
        await Settled(server);
        Assert.Equal(2, layers[0]); // one pass of 2 layers: the shorter text's pass never started
        using var client = new HttpClient { BaseAddress = server.Address };
        string metrics = await client.GetStringAsync("metrics");
        Assert.Equal(1, Metric(metrics, "skald_batch_size_count"));
        Assert.Equal(1, Metric(metrics, "skald_batch_size_sum"));
    }

    // Hooks the server's batcher: counts the layers about to start (the count returned) and, as the first one is,
    // cancels `gone` (its clients disconnect) and waits until the server has seen `leaving` requests go.
    private static int[] LeaveAtTheFirstLayer(EmbeddingServer server, CancellationTokenSource gone, int leaving)
    {
        var batcher = server.Service!.Batcher;
        int[] layers = [0];
        batcher.Tape.LayerStarting = () =>
        {
            if (++layers[0] != 1) return;
            gone.Cancel();
            WaitFor(() => batcher.Cancelled == leaving);
        };
        return layers;
    }

    private static readonly Skald.Models.SentenceEncoder Reference = Skald.Models.SentenceEncoder.Load(ModelDir);

    // Sends `a` (cancelled with `aGone`), waits until the batcher holds it, then `b` (cancelled with `bGone`), each from
    // its own client (its own connection, so a cancelled one is a disconnect); the two responses' tasks.
    private static (Task A, Task<(int, System.Text.Json.JsonElement)> B) Joined(EmbeddingServer server, string a, string b,
        CancellationToken aGone, CancellationToken bGone = default)
    {
        var service = server.Service!;
        var first = Send(server, a, aGone);
        WaitFor(() => service.Pending == 1);
        var second = Send(server, b, bGone);
        return (first, second);
    }

    private static async Task<(int, System.Text.Json.JsonElement)> Send(EmbeddingServer server, string text, CancellationToken gone)
    {
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = Patience };
        using var content = new StringContent(Json(new { input = new[] { text }, model = "m" }), Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("v1/embeddings", content, gone);
        string json = await response.Content.ReadAsStringAsync(gone);
        return ((int)response.StatusCode, System.Text.Json.JsonDocument.Parse(json).RootElement.Clone());
    }

    // Every input accounted for: embedded, or dropped with its request.
    private static async Task Settled(EmbeddingServer server)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (server.Service!.Pending > 0 && waited.Elapsed < Patience) await Task.Delay(10);
        Assert.Equal(0, server.Service.Pending);
    }

    // Waits (on the calling thread) until `done`; fails after Patience.
    private static void WaitFor(Func<bool> done)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!done())
        {
            if (waited.Elapsed > Patience) throw new TimeoutException("the server did not see the client go");
            Thread.Sleep(5);
        }
    }
}
