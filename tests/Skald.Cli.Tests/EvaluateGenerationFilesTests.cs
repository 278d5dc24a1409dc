namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald evaluate --type generation</c> and the files it reads and writes: a file it writes (the report, the saved
/// answers, the judge's cache) is never one it reads, and a bad task or predictions file is one line naming it.
/// </summary>
public sealed class EvaluateGenerationFilesTests
{
    private static (string Dir, string Task, string Predictions) Files()
    {
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "task.jsonl"), predictions = Path.Combine(dir, "pred.jsonl");
        File.WriteAllText(task, "{\"id\": \"a\", \"prompt\": \"Nevn et bær.\", \"reference\": \"Blåbær.\"}\n{\"id\": \"b\", \"prompt\": \"Hei?\", \"reference\": \"Hei!\"}");
        File.WriteAllText(predictions, "{\"id\": \"a\", \"text\": \"Blåbær.\"}\n{\"id\": \"b\", \"text\": \"Hallo.\"}");
        return (dir, task, predictions);
    }

    [Fact]
    public void TheReportAndTheSavedAnswersNeverReplaceAFileBeingRead()
    {
        var (dir, task, predictions) = Files();
        string before = File.ReadAllText(predictions), prefs = Path.Combine(dir, "prefs.jsonl");
        File.WriteAllText(prefs, "{\"id\": \"a\", \"a\": \"pred\", \"b\": \"pred\", \"winner\": \"tie\"}\n");
        // the report written over the predictions it scores replaced them
        SkaldProcess.AssertUserError(SkaldProcess.Run("evaluate", "--type", "generation", "--task", task, "--predictions", "mine=" + predictions,
            "--output", predictions), 2, $"--output {predictions} is the input {predictions}");
        Assert.Equal(before, File.ReadAllText(predictions));
        SkaldProcess.AssertUserError(SkaldProcess.Run("evaluate", "--type", "generation", "--task", task, "--predictions", predictions,
            "--preferences", prefs, "--output", prefs), 2, "--output", "is the input");
        // --save-predictions: refused before the model answers, naming its own option
        SkaldProcess.AssertUserError(SkaldProcess.Run("evaluate", "--type", "generation", "--task", task, "--predictions", predictions,
            "--model", TestPaths.FixtureModel("decoder-qwen2"), "--save-predictions", predictions), 2, $"--save-predictions {predictions} is the input");
        Assert.Equal(before, File.ReadAllText(predictions));
        var r = SkaldProcess.Run("evaluate", "--type", "generation", "--task", task, "--model", TestPaths.FixtureModel("decoder-qwen2"),
            "--max-new-tokens", "2", "--save-predictions", Path.Combine(dir, "missing", "answers.jsonl"));
        SkaldProcess.AssertUserError(r, 1, "missing");
        Assert.DoesNotContain("generated", r.Stdout + r.Stderr);
    }
}
