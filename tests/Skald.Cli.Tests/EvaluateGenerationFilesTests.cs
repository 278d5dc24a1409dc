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
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", "mine=" + predictions,
            "--output", predictions), 2, $"--output {predictions} is the input {predictions}");
        Assert.Equal(before, File.ReadAllText(predictions));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions,
            "--preferences", prefs, "--output", prefs), 2, "--output", "is the input");
        // --save-predictions: refused before the model answers, naming its own option
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions,
            "--model", TestPaths.FixtureModel("decoder-qwen2"), "--save-predictions", predictions), 2, $"--save-predictions {predictions} is the input");
        Assert.Equal(before, File.ReadAllText(predictions));
        var r = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", TestPaths.FixtureModel("decoder-qwen2"),
            "--max-new-tokens", "2", "--save-predictions", Path.Combine(dir, "missing", "answers.jsonl"));
        SkaldProcess.AssertUserError(r, 1, "missing");
        Assert.DoesNotContain("generated", r.Stdout + r.Stderr);
    }

    [Fact]
    public void TheJudgeCacheIsNeverAFileBeingReadNorAFolder()
    {
        // the cache is a journal: opening it cut the task's last row (no newline after it) as a torn line
        var (dir, task, predictions) = Files();
        string before = File.ReadAllText(task);
        string[] judge = ["evaluate", "--type", "generation", "--task", task, "--predictions", predictions, "--metrics", "judge", "--judge", "http://127.0.0.1:1/v1#m"];
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. judge, "--judge-cache", task]), 2, $"--judge-cache {task} is the input {task}");
        Assert.Equal(before, File.ReadAllText(task));
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. judge, "--judge-cache", predictions]), 2, "--judge-cache", "is the input");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. judge, "--judge-cache", dir]), 2, $"option --judge-cache {dir}: is a folder");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. judge, "--judge-cache", Path.Combine(dir, "none", "c.jsonl")]), 2, "--judge-cache", "does not exist");
        // a bad --judge is found before the model answers
        var r = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", TestPaths.FixtureModel("decoder-qwen2"),
            "--max-new-tokens", "2", "--metrics", "judge", "--judge", "ftp://127.0.0.1/v1#m");
        SkaldProcess.AssertUserError(r, 2, "option --judge must be URL#MODEL");
        Assert.DoesNotContain("generated", r.Stdout + r.Stderr);
    }

    [Fact]
    public void ALoneSurrogateOrAFolderIsOneLineNamingTheFile()
    {
        // valid JSON but not text: reading it as a string threw (exit 70)
        var (dir, task, predictions) = Files();
        string[] run = ["evaluate", "--type", "generation", "--task", task, "--predictions", predictions];
        File.WriteAllText(task, "{\"id\": \"a\", \"prompt\": \"p\", \"reference\": \"x \\ud800\"}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture(run), 1, "task.jsonl:1", "field \"reference\"", "surrogate");
        File.WriteAllText(task, "{\"id\": \"a\", \"prompt\": \"p\", \"reference\": \"x\", \"task\": \"\\udc00\"}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture(run), 1, "task.jsonl:1", "field \"task\"", "surrogate");
        File.WriteAllText(task, "{\"id\": \"a\", \"prompt\": \"p\", \"reference\": \"x\"}\n");
        File.WriteAllText(predictions, "{\"id\": \"a\", \"text\": \"\\ud800\"}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture(run), 1, "pred.jsonl:1", "field \"text\"", "surrogate");
        // a folder was "cannot read the file (Access to the path ... is denied.)"
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", dir, "--predictions", predictions),
            1, $"{dir}: is a folder, expected a file");
    }

    [Fact]
    public void AFileThatIsNotUtf8IsOneLineNamingTheLineAndByte()
    {
        // "Blåbær" saved as Latin-1 was read as "Bl\uFFFDb\uFFFDr" and scored without a word
        var (dir, task, predictions) = Files();
        byte[] line2 = [.. "{\"id\": \"b\", \"text\": \"Bl"u8, 0xE5, .. "b"u8, 0xE6, .. "r.\"}\n"u8];
        File.WriteAllBytes(predictions, [.. "{\"id\": \"a\", \"text\": \"Hei.\"}\n"u8, .. line2]);
        string[] run = ["evaluate", "--type", "generation", "--task", task, "--predictions", predictions];
        int offset = "{\"id\": \"a\", \"text\": \"Hei.\"}\n".Length + "{\"id\": \"b\", \"text\": \"Bl".Length;
        SkaldProcess.AssertUserError(InProcessSkald.Capture(run), 1, $"{predictions}:2: not valid UTF-8 (byte 0xE5 at offset {offset})");
        File.WriteAllText(predictions, "{\"id\": \"a\", \"text\": \"Hei.\"}\n{\"id\": \"b\", \"text\": \"Hallo.\"}\n");
        string prefs = Path.Combine(dir, "prefs.jsonl");
        File.WriteAllBytes(prefs, [.. "{\"id\": \"a\", \"a\": \"pred\", \"b\": \"j"u8, 0xF8, .. "rn\", \"winner\": \"a\"}\n"u8]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. run, "--preferences", prefs]), 1, $"{prefs}:1: not valid UTF-8 (byte 0xF8 at offset 32)");
        File.WriteAllBytes(task, [.. "{\"id\": \"a\", \"prompt\": \"Nevn et b"u8, 0xE6, .. "r.\", \"reference\": \"x\"}\n"u8]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture(run), 1, $"{task}:1: not valid UTF-8 (byte 0xE6 at offset 32)");
    }

    [Fact]
    public void ATaskWithARepeatedIdOrNoRowsIsOneLine()
    {
        // both were internal errors (exit 70): a dictionary by id, and the mean over no rows
        var (_, task, predictions) = Files();
        File.WriteAllText(task, "{\"id\": \"a\", \"prompt\": \"p\", \"reference\": \"x\"}\n\n{\"id\": \"a\", \"prompt\": \"q\", \"reference\": \"y\"}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions),
            1, "task.jsonl:3: id 'a' appears twice");
        File.WriteAllText(task, "\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions),
            1, "task.jsonl: the file is empty");
    }

    [Fact]
    public void PredictionsWithoutAFileAreAUsageError()
    {
        // an empty path reached File.ReadAllLines (an internal error, exit 70)
        var (_, task, _) = Files();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", "mine="),
            2, "option --predictions 'mine=': no file named");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", " "),
            2, "option --predictions ' ': no file named");
    }

    [Fact]
    public void APredictionsSystemNamedAsTheModelFailsBeforeTheModelAnswers()
    {
        var (_, task, predictions) = Files();
        var r = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", "decoder-qwen2=" + predictions,
            "--model", TestPaths.FixtureModel("decoder-qwen2"), "--prompt-format", "plain", "--max-new-tokens", "2");
        SkaldProcess.AssertUserError(r, 2, "system 'decoder-qwen2' is also the --model's name");
        Assert.DoesNotContain("generated", r.Stdout + r.Stderr); // it was found after the model had answered every prompt
    }

    [Theory]
    [InlineData("1", "F '1'")]
    [InlineData("NaN", "F 'NaN'")]
    [InlineData("2", "F '2'")]
    public void ABertScoreBaselineOfOneOrMoreIsOneLineNamingTheRow(string f, string named)
    {
        // rescaling divides by 1 − b: a baseline of 1 gave infinite scores, which the report could not write (exit 70)
        var (dir, task, predictions) = Files();
        string baseline = Path.Combine(dir, "baseline.csv");
        File.WriteAllText(baseline, $"LAYER,P,R,F\n1,0.5,0.5,0.5\n2,0.5,0.5,{f}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions,
            "--metrics", "bertscore", "--bertscore-model", TestPaths.FixtureModel("plain-bert"), "--bertscore-baseline", baseline),
            1, "baseline.csv:3:", named, "below 1");
    }

    [Fact]
    public void MetricsNamingNoneAreAUsageError()
    {
        // "--metrics ," scored nothing and wrote a report of empty rows, exit 0
        var (_, task, predictions) = Files();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions, "--metrics", " , "),
            2, "option --metrics: no metrics given (known: rougeL, bertscore, judge)");
    }

    [Fact]
    public void AMistypedMetricGetsDidYouMeanOnTheCommandLineAndInAPipeline()
    {
        // "rougel" was "unknown metric 'rougel' (known: ...)" with no suggestion, unlike every other mistyped choice
        var (dir, task, predictions) = Files();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions, "--metrics", "rougel"),
            2, "option --metrics: unknown metric 'rougel'; did you mean 'rougeL'? (known: rougeL, bertscore, judge)");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions, "--metrics", "bleu"),
            2, "option --metrics: unknown metric 'bleu' (known: rougeL, bertscore, judge)");
        string config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(config, $"output: {Path.Combine(dir, "out")}\nstages:\n  - {{name: ev, type: evaluate_generation, task: '{task}', systems: ['{predictions}'], metrics: [rougeL, bertscor]}}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("pipeline", "--config", config),
            1, "unknown metric 'bertscor'; did you mean 'bertscore'?");
    }

    [Fact]
    public void APipelineEvaluateStageChecksBothOutputsBeforeScoring()
    {
        // NAME.md in the way: NAME.json was written, then "Access to the path ... is denied." (and the judge already paid)
        var (dir, task, predictions) = Files();
        string output = Path.Combine(dir, "out"), config = Path.Combine(dir, "pipeline.yaml");
        Directory.CreateDirectory(Path.Combine(output, "ev.md"));
        File.WriteAllText(config, $"output: {output}\nstages:\n  - {{name: ev, type: evaluate_generation, task: '{task}', systems: ['{predictions}']}}\n");
        var r = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{Path.Combine(output, "ev.md")}: is a folder; name a file to write", r.Stderr);
        Assert.False(File.Exists(Path.Combine(output, "ev.json")));
        Directory.Delete(Path.Combine(output, "ev.md"));
        r = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("rougeL", File.ReadAllText(Path.Combine(output, "ev.md")));
        // the two outputs and the stage marks' folder (OUTPUT/.skald-stages: a run again keeps the finished stage), nothing else
        Assert.Equal([".skald-stages", "ev.json", "ev.md"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void APromptWithNoTokensIsOneLineNamingTheRow()
    {
        // an empty prompt written plain has no tokens: the generator's check was an internal error (exit 70), as
        // skald generate already said in one line
        var (_, task, _) = Files();
        File.WriteAllText(task, "{\"id\": \"a\", \"prompt\": \"Hei?\", \"reference\": \"Hei!\"}\n{\"id\": \"tom\", \"prompt\": \"\", \"reference\": \"x\"}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", TestPaths.FixtureModel("decoder-qwen2"),
            "--prompt-format", "plain", "--max-new-tokens", "2"), 1, "task.jsonl: row 'tom': the prompt has no tokens");
    }

    [Fact]
    public void AnOptionOfTheOtherKindOfEvaluationIsAUsageError()
    {
        // --limit 1 scored every row, and --predictions with a retrieval type was dropped without a word
        var (_, task, predictions) = Files();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions, "--limit", "1"),
            2, "--limit does not apply to --type generation");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions, "--rerank", "x"),
            2, "--rerank does not apply to --type generation");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "sts", "--task", task, "--model", "bm25", "--predictions", predictions),
            2, "--predictions applies to --type generation only");
        // skald encode takes --adapters for embeddings; evaluate's is generation's, and says how an embedding model's load
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "sts", "--task", task, "--model", "bm25", "--adapters", "a,b"),
            2, "--adapters applies to --type generation only; an embedding model's LoRA adapters: give the last adapter folder as --model");
        var r = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions, "--batch-size", "4", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    [Fact]
    public void AJudgeReplyWithoutChoicesIsRetried()
    {
        // {"choices": []} threw when the reply's text was read, outside the retried part (an internal error, exit 70)
        var (dir, task, predictions) = Files();
        using var server = new FakeChatServer((_, n) => n == 1 ? FakeChatServer.Reply.NoChoices : FakeChatServer.Reply.Good,
            answer: _ => "Rationale: Close.\nScore: 7");
        var r = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", predictions, "--metrics", "judge",
            "--judge", server.Url + "#fake", "--judge-cache", Path.Combine(dir, "cache.jsonl"), "--output", Path.Combine(dir, "report.json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"judge\": 7", File.ReadAllText(Path.Combine(dir, "report.json")));
    }
}
