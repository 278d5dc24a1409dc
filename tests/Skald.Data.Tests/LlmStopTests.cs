using Skald.Data.Llm;
using Reply = Skald.Tests.FakeChatServer.Reply;

namespace Skald.Data.Tests;

/// <summary>
/// Ctrl-C (the <c>stop</c> token) while a request waits to be retried: the retry is not sent when the backoff ends, so
/// nothing is paid for that was asked after the stop; the text stays unanswered for the next run, which asks for it
/// again.
/// </summary>
public sealed class LlmStopTests
{
    [Fact]
    public async Task AStopBeforeARetrySendsNoRetryAndTheNextRunAsksAgain()
    {
        using var stop = new CancellationTokenSource();
        // the stop comes while the first request is answered with a 500, before the client would retry it
        int received = 0;
        using var server = new FakeChatServer((_, _) =>
        {
            if (Interlocked.Increment(ref received) != 1) return Reply.Good;
            stop.Cancel();
            return Reply.ServerError;
        }, answer: t => t.ToUpperInvariant());
        var settings = new LlmSettings
        {
            Endpoint = new Uri(server.Url), Model = "fake", Concurrency = 1, MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(60),
        };
        string journal = Path.Combine(TestPaths.NewTempDir(), "t.jsonl");
        string[] texts = ["Hva heter du?", "Jeg bor i Bergen."];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => LlmTranslator.TranslateAsync(texts, "nb", "nn", settings, journal, stop: stop.Token));
        Assert.Single(server.Requests); // the 500 only: no retry after the stop, and the second text not asked
        Assert.Empty(File.ReadAllLines(journal));

        Assert.Equal([.. texts.Select(t => t.ToUpperInvariant())], await LlmTranslator.TranslateAsync(texts, "nb", "nn", settings, journal));
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task AStopDuringALongRetryAfterEndsTheWaitAtOnceAndSendsNoRetry()
    {
        // The server asks to wait 30 s; a stop a moment into that wait used to wait it out, then end without retrying.
        using var stop = new CancellationTokenSource();
        using var server = new FakeChatServer((_, _) => Reply.TooMany) { RetryAfterSeconds = 30 };
        var settings = new LlmSettings
        {
            Endpoint = new Uri(server.Url), Model = "fake", Concurrency = 1, MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(60),
        };
        string journal = Path.Combine(TestPaths.NewTempDir(), "t.jsonl");
        var run = LlmTranslator.TranslateAsync(["Hva heter du?"], "nb", "nn", settings, journal, stop: stop.Token);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (server.Requests.IsEmpty && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(10);
        Assert.Single(server.Requests);
        await Task.Delay(300); // the 429 is back: the client waits out its Retry-After
        clock.Restart();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Single(server.Requests); // no retry
        Assert.Empty(File.ReadAllLines(journal));
    }
}
