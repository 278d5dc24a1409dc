using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// Ctrl-C (SIGINT) during <c>skald evaluate --type generation --metrics judge</c>: the judge's request in flight
/// finishes and is cached, no report is written, the run exits 130 naming the cache, and the same command run again
/// asks only for the verdicts the cache lacks. Before, Ctrl-C ended the process at once and the verdict in flight (paid
/// for) was lost.
/// </summary>
public sealed class EvaluateJudgeInterruptTests
{
    [Fact]
    public void CtrlCKeepsTheVerdictInFlightAndTheNextRunAsksOnlyForTheRest()
    {
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "task.jsonl"), output = Path.Combine(dir, "report.json");
        string cache = Path.Combine(dir, "task.judge.jsonl");
        File.WriteAllLines(task, Enumerable.Range(1, 4).Select(i => $"{{\"id\":\"{i}\",\"prompt\":\"Hva er {i} pluss {i}?\",\"reference\":\"{2 * i}\"}}"));
        string[] systems = ["first", "second"];
        foreach (var system in systems)
            File.WriteAllLines(Path.Combine(dir, system + ".jsonl"), Enumerable.Range(1, 4).Select(i => $"{{\"id\":\"{i}\",\"text\":\"{system} svarer {i}\"}}"));
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, replyDelayMs: 800, answer: _ => "Rationale: Wrong.\nScore: 4");
        string[] args = ["evaluate", "--type", "generation", "--task", task, "--predictions", Path.Combine(dir, "first.jsonl"),
            "--predictions", Path.Combine(dir, "second.jsonl"), "--metrics", "judge", "--judge", server.Url + "#fake", "--output", output];

        var run = SkaldProcess.RunAndInterrupt(() => server.Requests.Count >= 1, server.HoldUntilReleased(), args);
        Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains("skald: stopping: the judge's request in flight finishes and goes to its cache", run.Stderr);
        Assert.Contains($"skald: interrupted; no report written, and every verdict received is in {cache}: run the same command again to go on", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
        Assert.False(File.Exists(output));
        int asked = server.Requests.Count;
        Assert.InRange(asked, 1, 7);
        Assert.Equal(asked, File.ReadAllLines(cache).Length); // the verdict in flight was kept

        var again = SkaldProcess.Run(args);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(8, server.Requests.Count); // each answer judged once in all
        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        foreach (var system in systems)
            Assert.Equal(4.0, doc.RootElement.GetProperty("means").GetProperty(system).GetProperty("overall").GetProperty("judge").GetDouble());
    }
}
