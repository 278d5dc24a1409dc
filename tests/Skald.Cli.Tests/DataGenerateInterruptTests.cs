namespace Skald.Cli.Tests;

/// <summary>
/// Ctrl-C (SIGINT) during <c>skald data generate --generator llm</c>: the requests already sent finish and are journaled,
/// the run says it was interrupted and how to go on, and the next run asks only for the rest.
/// </summary>
public sealed class DataGenerateInterruptTests
{
    private static string Documents => SampleDocuments.Folder;

    [Fact]
    public void CtrlCFinishesTheRequestsInFlightAndTheNextRunAsksOnlyForTheRest()
    {
        // Ctrl-C ended the process at once, silently, and the replies of the requests in flight (paid for) were lost.
        string output = Path.Combine(TestPaths.NewTempDir(), "data"), journal = output + ".journal.jsonl";
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, replyDelayMs: 800);
        string[] args = ["data", "generate", "--documents", Documents, "--output", output, "--generator", "llm", "--llm", server.Url,
            "--llm-model", "fake", "--chunk-tokens", "40", "--concurrency", "2", "--api-key-env", "SKALD_TEST_NO_SUCH_KEY"];
        var run = SkaldProcess.RunAndInterrupt(() => server.Requests.Count >= 2, server.HoldUntilReleased(), args);
        Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains("skald: stopping: the requests in flight finish", run.Stderr);
        Assert.Contains($"skald: interrupted; nothing written to {output}, and every chunk answered is in {journal}: run the same command again", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
        Assert.False(Directory.Exists(output));
        int asked = server.Requests.Count, journaled = File.ReadAllLines(journal).Length;
        Assert.Equal(asked, journaled); // every request sent came back into the journal
        var r = SkaldProcess.Run(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"llm: {journaled} of ", r.Stdout);
        Assert.Equal(File.ReadAllLines(Path.Combine(output, "corpus.jsonl")).Length, server.Requests.Count); // each chunk asked once in all
    }
}
