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
        // The server asks to wait 300 s (the longest the client waits); a stop during that wait used to wait it out, then
        // end without retrying. The stop comes once the client has counted the retry: the 429 is back and the wait begun.
        using var stop = new CancellationTokenSource();
        using var server = new FakeChatServer((_, _) => Reply.TooMany) { RetryAfterSeconds = 300 };
        var settings = new LlmSettings
        {
            Endpoint = new Uri(server.Url), Model = "fake", Concurrency = 1, MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(60),
        };
        string journal = Path.Combine(TestPaths.NewTempDir(), "t.jsonl");
        var client = new LlmQuestionClient(settings, stop.Token);
        var run = LlmTranslator.TranslateAsync(["Hva heter du?"], "nb", "nn", client, journal, stop: stop.Token);
        while (client.Retries == 0 && !run.IsCompleted) await Task.Delay(10);
        Assert.False(run.IsCompleted, "the run ended before the 429 was retried");
        await stop.CancelAsync();
        // a hang guard well under the 300 s a run waiting out the Retry-After takes (that run fails with a TimeoutException)
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(120)));
        Assert.Single(server.Requests); // no retry
        Assert.Empty(File.ReadAllLines(journal));
    }
}
