namespace Skald.Cli.Tests;

/// <summary>
/// Ctrl-C (SIGINT) during <c>skald data translate --engine llm</c>: the requests already sent finish and are journaled,
/// nothing is written to the output, the run says how to go on, and the next run asks only for the rest.
/// </summary>
public sealed class DataTranslateInterruptTests
{
    [Fact]
    public void CtrlCFinishesTheRequestsInFlightAndTheNextRunAsksOnlyForTheRest()
    {
        // Ctrl-C ended the process at once and the replies of the requests in flight (paid for) were lost.
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        string journal = output + ".journal.jsonl";
        File.WriteAllLines(input, Enumerable.Range(1, 12).Select(i => $"{{\"anchor\":\"Setning nummer {i} om fjorden.\"}}"));
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, replyDelayMs: 800, answer: t => "Omsett: " + t);
        string[] args = ["data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "nn", "--engine", "llm",
            "--llm", server.Url, "--llm-model", "fake", "--concurrency", "2", "--api-key-env", "SKALD_TEST_NO_SUCH_KEY"];
        var run = SkaldProcess.RunAndInterrupt(() => server.Requests.Count >= 2, server.HoldUntilReleased(), args);
        Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains("skald: stopping: the requests in flight finish", run.Stderr);
        Assert.Contains($"skald: interrupted; nothing written to {output}, and every text translated is in {journal}: run the same command again", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
        Assert.False(File.Exists(output));
        int asked = server.Requests.Count, journaled = File.ReadAllLines(journal).Length;
        Assert.InRange(asked, 2, 11);
        Assert.Equal(asked, journaled); // every request sent came back into the journal
        var r = SkaldProcess.Run(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"llm: {journaled} of 12 texts already in {journal}", r.Stdout);
        Assert.Equal(12, server.Requests.Count); // each text asked once in all
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"{{\"anchor\":\"Omsett: Setning nummer {i} om fjorden.\"}}"), File.ReadAllLines(output));
    }
}
