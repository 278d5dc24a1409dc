using System.Diagnostics;
using Skald.Evaluation.Models;
using Skald.Retrieval.Models;
using Skald.Retrieval.Remote;

namespace Skald.Evaluation.Tests.Models;

/// <summary>
/// Ctrl-C (<see cref="RemoteEmbeddingSettings.Stop"/>) while a remote model embeds: the request in flight finishes and
/// its vectors go to the cache, no further request is sent, and a retry's backoff under way ends at once instead of
/// being waited out. Before, the client took no stop: the call went on to the last request.
/// </summary>
public sealed class RemoteEmbeddingStopTests
{
    private static void WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(10);
        Assert.True(condition(), "timed out");
    }

    [Fact]
    public void AStopLetsTheRequestInFlightFinishIntoTheCacheAndSendsNoMore()
    {
        using var server = new FakeEmbeddingServer { ReplyDelayMs = 700 };
        using var ctrlC = new CancellationTokenSource();
        var stop = new RemoteStop(ctrlC.Token);
        string cache = TestPaths.NewTempDir();
        string[] texts = [.. Enumerable.Range(1, 10).Select(i => $"Tekst nummer {i} om toget til Bergen")];
        var model = FakeServerEmbeddingModel.Create(server, cache, stop: stop);
        var run = Task.Run(() => model.Embed(texts, TextRole.Document));
        WaitFor(() => server.Requests == 2); // the second request (texts 3 and 4) is in flight
        Assert.True(stop.Working);
        ctrlC.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        Assert.False(stop.Working);
        Assert.Equal(2, server.Requests); // no third request
        Assert.Equal(2, server.Answered); // the one in flight was answered, not abandoned

        var again = FakeServerEmbeddingModel.Create(server, cache);
        var vectors = again.Embed(texts, TextRole.Document);
        Assert.Equal(6, again.EncodedCount); // the four texts of the two answered requests came from the cache
        Assert.Equal(5, server.Requests);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(FakeEmbeddingServer.Embed(texts[i]), vectors[i]);
    }

    [Fact]
    public void AStopDuringALongRetryAfterEndsTheWaitAtOnceAndSendsNoRetry()
    {
        // The server asks to wait 30 s; a stop a moment into that wait used to wait it out, then end without retrying.
        using var server = new FakeEmbeddingServer(_ => FakeEmbeddingServer.Reply.TooMany) { RetryAfterSeconds = 30 };
        using var ctrlC = new CancellationTokenSource();
        var model = FakeServerEmbeddingModel.Create(server, TestPaths.NewTempDir(), retries: 3, stop: new RemoteStop(ctrlC.Token));
        var run = Task.Run(() => model.Embed(["en tekst"], TextRole.Document));
        WaitFor(() => server.Requests == 1);
        Thread.Sleep(300); // the 429 is back: the client waits out its Retry-After
        var clock = Stopwatch.StartNew();
        ctrlC.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(1, server.Requests);
    }
}
