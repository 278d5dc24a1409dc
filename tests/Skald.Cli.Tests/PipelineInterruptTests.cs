using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// Ctrl-C (SIGINT) during an LLM stage of <c>skald pipeline</c> (generate with generator llm, translate with engine
/// llm, evaluate_generation with the judge): the requests already sent finish and are journaled, the stage writes no
/// output, no later stage runs, the run exits 130 naming the journal, and the same pipeline run again asks only for
/// the rest. Before, Ctrl-C ended the process at once and the replies in flight (paid for) were lost.
/// </summary>
[RunsLong(30)] // Ctrl-C of four pipelines
public sealed class PipelineInterruptTests
{
    private const string Stopping = "skald: stopping: the requests in flight finish and go to the journal";

    private static string Documents => SampleDocuments.Folder;

    private static void AssertInterrupted(SkaldProcess.Result run, string stage, string output, string journal)
    {
        Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains(Stopping, run.Stderr);
        Assert.Contains($"skald: interrupted in stage {stage}; nothing written to {output}, and every reply received is in {journal}: run the same pipeline again to go on", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
        Assert.DoesNotContain("skald: error", run.Stderr);
    }

    [Fact]
    public void CtrlCInAGenerateStageKeepsTheRepliesInFlightAndTheNextRunAsksOnlyForTheRest()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out");
        string gen = Path.Combine(output, "gen"), journal = gen + ".journal.jsonl", mined = Path.Combine(output, "mined.jsonl");
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, replyDelayMs: 800);
        string config = PipelineFile.Write(dir, output,
            "  - name: gen", "    type: generate", $"    documents: [{Documents}]", "    generator: llm", $"    llm: {server.Url}",
            "    llm_model: fake", "    chunk_tokens: 40", "    concurrency: 2", "    api_key_env: SKALD_TEST_NO_SUCH_KEY",
            "  - name: mined", "    type: mine_negatives", "    data: gen/pairs.jsonl", "    model: bm25", "    num_negatives: 1");
        var run = SkaldProcess.RunAndInterrupt(() => server.Requests.Count >= 2, server.HoldUntilReleased(), "pipeline", "--config", config);
        AssertInterrupted(run, "gen", gen, journal);
        Assert.False(Directory.Exists(gen));
        Assert.False(File.Exists(mined)); // the later stage did not run
        Assert.DoesNotContain("stage 2/2", run.Stderr + run.Stdout);
        int asked = server.Requests.Count, journaled = File.ReadAllLines(journal).Length;
        Assert.Equal(asked, journaled); // every request sent came back into the journal

        var again = SkaldProcess.Run("pipeline", "--config", config);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains($"llm: {journaled} of ", again.Stdout + again.Stderr);
        Assert.Equal(File.ReadAllLines(Path.Combine(gen, "corpus.jsonl")).Length, server.Requests.Count); // each chunk asked once in all
        Assert.True(File.Exists(mined));
    }

    [Fact]
    public void CtrlCInATranslateStageKeepsTheRepliesInFlightAndWritesNoRows()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out"), input = Path.Combine(dir, "in.jsonl");
        string translated = Path.Combine(output, "translated.jsonl"), journal = Path.Combine(output, "translated.journal.jsonl");
        File.WriteAllLines(input, Enumerable.Range(1, 12).Select(i => $"{{\"anchor\":\"Setning nummer {i} om fjorden.\",\"positive\":\"Fjorden nummer {i} er lang.\"}}"));
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, replyDelayMs: 800, answer: t => "Omsett: " + t);
        string config = PipelineFile.Write(dir, output,
            "  - name: translated", "    type: translate", $"    data: {input}", "    from: nb", "    to: nn", "    engine: llm",
            $"    llm: {server.Url}", "    llm_model: fake", "    concurrency: 2", "    api_key_env: SKALD_TEST_NO_SUCH_KEY",
            "  - name: mined", "    type: mine_negatives", "    data: translated", "    model: bm25", "    num_negatives: 1");
        var run = SkaldProcess.RunAndInterrupt(() => server.Requests.Count >= 2, server.HoldUntilReleased(), "pipeline", "--config", config);
        AssertInterrupted(run, "translated", translated, journal);
        Assert.False(File.Exists(translated));
        Assert.False(File.Exists(Path.Combine(output, "mined.jsonl")));
        int asked = server.Requests.Count, journaled = File.ReadAllLines(journal).Length;
        Assert.InRange(asked, 2, 23);
        Assert.Equal(asked, journaled);

        var again = SkaldProcess.Run("pipeline", "--config", config);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains($"llm: {journaled} of 24 texts already in {journal}", again.Stdout + again.Stderr);
        Assert.Equal(24, server.Requests.Count); // each text asked once in all
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"{{\"anchor\":\"Omsett: Setning nummer {i} om fjorden.\",\"positive\":\"Omsett: Fjorden nummer {i} er lang.\"}}"),
            File.ReadAllLines(translated));
        Assert.True(File.Exists(Path.Combine(output, "mined.jsonl")));
    }

    [Fact]
    public void CtrlCInAJudgedEvaluateStageKeepsTheVerdictInFlightAndWritesNoReport()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out"), task = Path.Combine(dir, "task.jsonl");
        string report = Path.Combine(output, "report.json"), cache = Path.Combine(output, "report.judge.jsonl");
        File.WriteAllLines(task, Enumerable.Range(1, 4).Select(i => $"{{\"id\":\"{i}\",\"prompt\":\"Hva er {i} pluss {i}?\",\"reference\":\"{2 * i}\"}}"));
        string[] systems = ["first", "second"];
        foreach (var system in systems)
            File.WriteAllLines(Path.Combine(dir, system + ".jsonl"), Enumerable.Range(1, 4).Select(i => $"{{\"id\":\"{i}\",\"text\":\"{system} svarer {i}\"}}"));
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, replyDelayMs: 800, answer: _ => "Rationale: Wrong.\nScore: 3");
        string config = PipelineFile.Write(dir, output,
            "  - name: report", "    type: evaluate_generation", $"    task: {task}",
            $"    systems: [{string.Join(", ", systems.Select(s => Path.Combine(dir, s + ".jsonl")))}]", "    metrics: [rougeL, judge]",
            $"    judge: {server.Url}", "    judge_model: fake", "    api_key_env: SKALD_TEST_NO_SUCH_KEY");
        var run = SkaldProcess.RunAndInterrupt(() => server.Requests.Count >= 1, server.HoldUntilReleased(), "pipeline", "--config", config);
        AssertInterrupted(run, "report", report, cache);
        Assert.False(File.Exists(report));
        Assert.False(File.Exists(Path.Combine(output, "report.md")));
        int asked = server.Requests.Count, cached = File.ReadAllLines(cache).Length;
        Assert.InRange(asked, 1, 7);
        Assert.Equal(asked, cached); // the verdict in flight was kept

        var again = SkaldProcess.Run("pipeline", "--config", config);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(8, server.Requests.Count); // each answer judged once in all
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        foreach (var system in systems)
            Assert.Equal(3.0, doc.RootElement.GetProperty("means").GetProperty(system).GetProperty("overall").GetProperty("judge").GetDouble());
    }

    /// <summary>
    /// Ctrl-C in a stage that does not take it over (a masked-LM stage): one line names the stage and says that the same
    /// command run again resumes (the finished stages kept, this one from its checkpoints), exit 130. Before, the run
    /// ended without a word on where it stopped.
    /// </summary>
    [Fact]
    public void CtrlCInAnMlmStageSaysWhichStageStoppedAndThatARunAgainResumes()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out");
        string corpus = Path.Combine(TestPaths.RepoRoot, "samples", "data", "corpus.txt");
        string config = PipelineFile.Write(dir, output,
            $"  - {{name: tok, type: tokenizer, corpus: {corpus}, vocab_size: 400, lowercase: true}}",
            "  - {name: init, type: new_bert, tokenizer: tok, hidden: 16, layers: 1, heads: 2, intermediate: 32, max_positions: 64}",
            $"  - {{name: mlm, type: mlm, model: init, corpus: {corpus}, steps: 1000000, batch_size: 8}}");
        string started = Path.Combine(output, ".skald-stages", "mlm.json");
        var run = SkaldProcess.RunAndInterrupt(() => File.Exists(started), "pipeline", "--config", config);
        Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains("skald: interrupted in stage mlm (3/3, mlm); run the same command again to resume: the stages finished are kept " +
            $"and this one goes on from its last checkpoint in {Path.Combine(output, "runs", "mlm")}, if it saved one", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
    }
}
