namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald evaluate --type generation --preferences FILE</c>: a judgement that names no known system or row, a winner
/// that is none of the choices, or a system compared with itself is one line naming <c>FILE:LINE</c>, found before any
/// answer is scored or generated.
/// </summary>
public sealed class EvaluatePreferencesTests
{
    private static (string Task, string Predictions, string Preferences) Files()
    {
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "task.jsonl"), predictions = Path.Combine(dir, "pred.jsonl");
        File.WriteAllText(task, "{\"id\": \"a\", \"prompt\": \"Nevn et bær.\", \"reference\": \"Blåbær.\"}\n{\"id\": \"b\", \"prompt\": \"Hei?\", \"reference\": \"Hei!\"}\n");
        File.WriteAllText(predictions, "{\"id\": \"a\", \"text\": \"Blåbær.\"}\n{\"id\": \"b\", \"text\": \"Hallo.\"}\n");
        return (task, predictions, Path.Combine(dir, "prefs.jsonl"));
    }

    // two systems, x and y, answering alike
    private static SkaldProcess.Result Run(string task, string predictions, string preferences, string x = "x") =>
        InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", $"{x}={predictions}", "--predictions", "y=" + predictions,
            "--preferences", preferences);

    private static string Row(string id, string a, string b, string winner) => $"{{\"id\": \"{id}\", \"a\": \"{a}\", \"b\": \"{b}\", \"winner\": \"{winner}\"}}";

    [Fact]
    public void AnUnknownSystemOrRowNamesTheFileAndLine()
    {
        // "preferences: no predictions for system 'z'" named neither; a tie naming an unknown system was passed over
        var (task, predictions, prefs) = Files();
        File.WriteAllLines(prefs, [Row("a", "x", "y", "a"), "", Row("b", "z", "y", "tie")]);
        SkaldProcess.AssertUserError(Run(task, predictions, prefs), 1, $"{prefs}:3: no predictions for system 'z' (known: x, y)");
        File.WriteAllLines(prefs, [Row("a", "x", "y", "a"), Row("q", "x", "y", "b")]);
        SkaldProcess.AssertUserError(Run(task, predictions, prefs), 1, $"{prefs}:2: no task row 'q'");
        File.WriteAllLines(prefs, [Row("a", "x", "y", "a"), Row("b", "y", "x", "x"), Row("b", "x", "y", "tie")]);
        var r = Run(task, predictions, prefs);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pairwise accuracy against 2 human preferences", r.Stdout + r.Stderr);
    }

    [Theory]
    [InlineData("A")]
    [InlineData("draw")]
    [InlineData("")]
    public void AWinnerThatIsNoneOfTheChoicesIsOneLine(string winner)
    {
        // it counted as a tie: the judgement was dropped without a word
        var (task, predictions, prefs) = Files();
        File.WriteAllLines(prefs, [Row("a", "x", "y", "a"), Row("b", "x", "y", winner)]);
        SkaldProcess.AssertUserError(Run(task, predictions, prefs), 1, $"{prefs}:2: winner '{winner}' is none of a, b, tie, 'x', 'y'");
    }

    [Fact]
    public void ASystemComparedWithItselfOrAWinnerMeaningTwoIsOneLine()
    {
        var (task, predictions, prefs) = Files();
        File.WriteAllLines(prefs, [Row("a", "x", "x", "a")]);
        SkaldProcess.AssertUserError(Run(task, predictions, prefs), 1, $"{prefs}:1: 'a' and 'b' are the same system 'x'");
        // a system named b: winner b was read as the second system, not the one of that name
        File.WriteAllLines(prefs, [Row("a", "b", "y", "b")]);
        SkaldProcess.AssertUserError(Run(task, predictions, prefs, x: "b"), 1, $"{prefs}:1: winner 'b' is ambiguous (a is 'b', b is 'y')");
    }

    [Fact]
    public void ABadJudgementIsFoundBeforeTheModelAnswers()
    {
        var (task, predictions, prefs) = Files();
        File.WriteAllLines(prefs, [Row("a", "decoder-qwen2", "y", "a"), Row("b", "decoder-qwen2", "z", "b")]);
        string[] run = ["evaluate", "--type", "generation", "--task", task, "--predictions", "y=" + predictions, "--preferences", prefs,
            "--model", TestPaths.FixtureModel("decoder-qwen2"), "--prompt-format", "plain", "--max-new-tokens", "2"];
        var r = InProcessSkald.Capture(run);
        SkaldProcess.AssertUserError(r, 1, $"{prefs}:2: no predictions for system 'z' (known: y, decoder-qwen2)");
        Assert.DoesNotContain("generated", r.Stdout + r.Stderr);
        File.WriteAllLines(prefs, [Row("a", "decoder-qwen2", "y", "a")]); // the model is a system the judgements may name
        r = InProcessSkald.Capture(run);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pairwise accuracy against 1 human preferences", r.Stdout + r.Stderr);
    }
}
