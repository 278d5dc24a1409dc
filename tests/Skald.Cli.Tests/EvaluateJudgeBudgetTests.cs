namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald evaluate --type generation --metrics judge --max-requests N</c>: the judge sends exactly N requests, stops with
/// one line, keeps every verdict it paid for in its cache, and the run after asks only for the rest. Before, the judge
/// had no budget on the command line (only <c>data generate</c> and <c>data translate</c> had one).
/// </summary>
public sealed class EvaluateJudgeBudgetTests
{
    [Fact]
    public void TheJudgeSendsExactlyMaxRequestsAndTheNextRunAsksOnlyForTheRest()
    {
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "task.jsonl"), output = Path.Combine(dir, "report.json");
        string answers = Path.Combine(dir, "system.jsonl");
        File.WriteAllLines(task, Enumerable.Range(1, 4).Select(i => $"{{\"id\":\"{i}\",\"prompt\":\"Hva er {i} pluss {i}?\",\"reference\":\"{2 * i}\"}}"));
        File.WriteAllLines(answers, Enumerable.Range(1, 4).Select(i => $"{{\"id\":\"{i}\",\"text\":\"svaret er {i}\"}}"));
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, answer: _ => "Rationale: Wrong.\nScore: 2");
        string[] args = ["evaluate", "--type", "generation", "--task", task, "--predictions", answers, "--metrics", "judge",
            "--judge", server.Url + "#fake", "--output", output, "--quiet"];
        var r = InProcessSkald.Capture([.. args, "--max-requests", "2"]);
        SkaldProcess.AssertUserError(r, 1, "request budget of 2 reached; run again (with a larger --max-requests)");
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "task.judge.jsonl")).Length);
        Assert.False(File.Exists(output));

        var again = InProcessSkald.Capture(args);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(4, server.Requests.Count); // the two verdicts the cache lacked
    }

    [Fact]
    public void MaxRequestsWithoutTheJudgeIsAUsageError()
    {
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "task.jsonl"), answers = Path.Combine(dir, "system.jsonl");
        File.WriteAllLines(task, ["{\"id\":\"1\",\"prompt\":\"Hva er 1 pluss 1?\",\"reference\":\"2\"}"]);
        File.WriteAllLines(answers, ["{\"id\":\"1\",\"text\":\"2\"}"]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", answers, "--max-requests", "2"), 2,
            "--max-requests applies with --metrics judge only");
    }
}
