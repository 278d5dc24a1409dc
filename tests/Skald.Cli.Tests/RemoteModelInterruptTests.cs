using System.Text.RegularExpressions;
using Skald.Tests;

namespace Skald.Cli.Tests;

/// <summary>
/// Ctrl-C (SIGINT) while <c>skald evaluate</c>, <c>skald benchmark</c> or <c>skald adapter train</c> embeds through a
/// remote model with a cache: the request in flight finishes into the cache, no further one is sent, nothing is written,
/// the exit is 130 with one line naming the cache, and the same command run again asks only for the rest. Before, the
/// first Ctrl-C ended the process at once and the reply in flight (paid for) was lost. A retry waiting out a long
/// Retry-After is not waited for, nor sent. Without a cache, Ctrl-C still ends the run at once, with exit 130 and one line
/// saying nothing was saved and naming --cache (before, it ended silently).
/// </summary>
public sealed partial class RemoteModelInterruptTests
{
    private const int Documents = 16, Queries = 4;

    private static string Task() => BeirFolder.Write(
        string.Concat(Enumerable.Range(1, Documents).Select(i => $"{{\"_id\": \"d{i}\", \"text\": \"dokument {i} om fjord nummer f{i}\"}}\n")),
        string.Concat(Enumerable.Range(1, Queries).Select(i => $"{{\"_id\": \"q{i}\", \"text\": \"hvor er fjord f{i}\"}}\n")),
        "query-id\tcorpus-id\tscore\n" + string.Concat(Enumerable.Range(1, Queries).Select(i => $"q{i}\td{i}\t1\n")));

    [GeneratedRegex(@"ndcg_at_10 = [0-9.]+")]
    private static partial Regex Score();

    private static void AssertInterrupted(SkaldProcess.Result run, string notWritten, string cache)
    {
        Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains("skald: stopping: the request in flight finishes and goes to the cache (Ctrl-C again to quit at once)", run.Stderr);
        Assert.Contains($"skald: interrupted; nothing written to {notWritten}, and every embedding received is in the cache {cache}: run the same command again to go on", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
    }

    // A slow endpoint whose second reply is held until Ctrl-C is sent (the run cannot end before it); then slow again.
    private static FakeEmbeddingServer HeldAtTheSecondRequest(out Action release)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        release = () => held.TrySetResult();
        return new FakeEmbeddingServer { ReplyDelayMs = 500, Holding = n => n == 2 ? held.Task : System.Threading.Tasks.Task.CompletedTask };
    }

    [Fact]
    public void EvaluateDrainsTheRequestInFlightIntoTheCacheAndTheRerunAsksOnlyForTheRest()
    {
        string task = Task(), dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache"), output = Path.Combine(dir, "results.json");
        using var server = HeldAtTheSecondRequest(out var release);
        string[] args = ["evaluate", "--model", $"openai:{server.Url}#fake", "--task", task, "--cache", cache, "--remote-batch-size", "2", "--output", output];
        var run = SkaldProcess.RunAndInterrupt(() => server.Requests >= 2, release, args);
        AssertInterrupted(run, output, cache);
        Assert.False(File.Exists(output));
        Assert.Equal(server.Requests, server.Answered); // the request in flight was answered; none abandoned, none sent after
        Assert.InRange(server.Requests, 2, (Documents + Queries) / 2 - 1);
        int textsBefore = server.Texts;

        server.Holding = null;
        server.ReplyDelayMs = 0;
        var rerun = SkaldProcess.Run(args);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.True(File.Exists(output));

        // One run never interrupted, against a server and cache of its own, asks for as many texts as both runs together.
        using var reference = new FakeEmbeddingServer();
        var whole = SkaldProcess.Run("evaluate", "--model", $"openai:{reference.Url}#fake", "--task", task, "--cache", Path.Combine(dir, "reference"),
            "--remote-batch-size", "2");
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        Assert.Equal(reference.Texts, server.Texts);
        Assert.True(server.Texts - textsBefore < reference.Texts); // the rerun took the first run's texts from the cache
        Assert.Equal(Score().Match(whole.Stderr).Value, Score().Match(rerun.Stderr).Value);
    }

    [Fact]
    public void BenchmarkDrainsTheRequestInFlightIntoTheCacheAndWritesNoReport()
    {
        string task = Task(), dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache"), report = Path.Combine(dir, "report");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, $"{{\"name\": \"s\", \"tasks\": [{{\"name\": \"fjords\", \"type\": \"retrieval\", \"path\": \"{task}\"}}]}}");
        using var server = HeldAtTheSecondRequest(out var release);
        string[] args = ["benchmark", "--models", $"openai:{server.Url}#fake", "--suite", suite, "--cache", cache, "--remote-batch-size", "2", "--output", report];
        var run = SkaldProcess.RunAndInterrupt(() => server.Requests >= 2, release, args);
        AssertInterrupted(run, report + ".md, .json or .html", cache);
        Assert.False(File.Exists(report + ".md") || File.Exists(report + ".json") || File.Exists(report + ".html"));
        Assert.Equal(server.Requests, server.Answered);
        Assert.InRange(server.Requests, 2, (Documents + Queries) / 2 - 1);

        server.Holding = null;
        server.ReplyDelayMs = 0;
        var rerun = SkaldProcess.Run(args);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.True(File.Exists(report + ".json"));
        using var reference = new FakeEmbeddingServer();
        var whole = SkaldProcess.Run("benchmark", "--models", $"openai:{reference.Url}#fake", "--suite", suite, "--cache", Path.Combine(dir, "reference"),
            "--remote-batch-size", "2", "--output", Path.Combine(dir, "whole"));
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        Assert.Equal(reference.Texts, server.Texts); // nothing asked twice over the two runs
    }

    [Fact]
    public void AdapterTrainDrainsTheRequestInFlightIntoTheCacheAndSavesNothing()
    {
        string dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache"), output = Path.Combine(dir, "adapter"), pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(pairs, Enumerable.Range(0, 20).Select(i => $"{{\"query\": \"spørsmål q{i}\", \"passage\": \"svar p{i}\"}}"));
        using var server = HeldAtTheSecondRequest(out var release);
        string[] args = ["adapter", "train", "--model", $"openai:{server.Url}#fake", "--data", pairs, "--output", output, "--cache", cache,
            "--remote-batch-size", "4", "--epochs", "1"];
        var run = SkaldProcess.RunAndInterrupt(() => server.Requests >= 2, release, args);
        AssertInterrupted(run, output, cache);
        Assert.False(Directory.Exists(output));
        Assert.Equal(server.Requests, server.Answered);
        Assert.InRange(server.Requests, 2, 40 / 4 - 1);

        server.Holding = null;
        server.ReplyDelayMs = 0;
        var rerun = SkaldProcess.Run(args);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.True(File.Exists(Path.Combine(output, "remote_adapter.json")));
        Assert.Equal(40, server.Texts); // 20 queries and 20 passages, each asked for once over the two runs
    }

    [Fact]
    public void CtrlCDuringALongRetryAfterEndsTheRunAtOnceWithoutTheRetry()
    {
        // The second request is answered 429 with Retry-After: 300 (the longest the client waits), and Ctrl-C comes once
        // that answer is out. The run used to wait the five minutes after Ctrl-C: RunAndInterrupt gives it 60 s to end.
        string task = Task(), dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache"), output = Path.Combine(dir, "results.json");
        using var server = new FakeEmbeddingServer(n => n == 2 ? FakeEmbeddingServer.Reply.TooMany : FakeEmbeddingServer.Reply.Good) { RetryAfterSeconds = 300 };
        var run = SkaldProcess.RunAndInterrupt(() => server.TooManyAnswered == 1,
            "evaluate", "--model", $"openai:{server.Url}#fake", "--task", task, "--cache", cache, "--remote-batch-size", "2", "--output", output);
        AssertInterrupted(run, output, cache);
        Assert.Equal(2, server.Requests); // the 429 was not retried
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void WithoutACacheCtrlCEndsTheRunAtOnceSayingNothingWasSavedAndNamingCache()
    {
        string task = Task(), dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "results.json");
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = new FakeEmbeddingServer { ReplyDelayMs = 5000, Holding = _ => held.Task }; // no reply before Ctrl-C
        var run = SkaldProcess.RunAndInterrupt(() => server.Requests >= 1, () => held.TrySetResult(),
            "evaluate", "--model", $"openai:{server.Url}#fake", "--task", task, "--remote-batch-size", "2", "--output", output);
        Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {run.Stderr}");
        string line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("skald: interrupted", StringComparison.Ordinal));
        Assert.StartsWith("skald: interrupted; nothing was saved", line, StringComparison.Ordinal);
        Assert.Contains("with --cache DIR", line, StringComparison.Ordinal);
        Assert.DoesNotContain("stopping", run.Stderr, StringComparison.Ordinal); // no drain: the reply in flight is not waited for
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
        Assert.False(File.Exists(output));
    }
}
