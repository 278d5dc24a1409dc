namespace Skald.Cli.Tests;

/// <summary>
/// The same pipeline run again (after Ctrl-C, a kill -9 or a failed stage) keeps the stages an earlier run finished with
/// the same settings and starts at the first one not done; a stage whose keys changed runs again, and so does every
/// stage after it. Before, every run started over at stage 1: a kill in the last stage lost the whole recipe's work.
/// </summary>
public sealed class PipelineResumeTests
{
    private static string Write(string dir, string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    // A pipeline into outDir: a tokenizer, a new BERT over it, and a train stage of the config train on that BERT.
    private static string TrainedFromScratch(string dir, string outDir, string train) => Write(dir, "pipeline.yaml", $$"""
        output: {{outDir}}
        stages:
          - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt, vocab_size: 400, lowercase: true}
          - {name: init, type: new_bert, tokenizer: tok, hidden: 16, layers: 1, heads: 2, intermediate: 32, max_positions: 64}
          - {name: tuned, type: train, config: {{train}}, model: init}
        """);

    [Fact]
    public void ARunAgainKeepsTheFinishedStagesAndRedoesAChangedOneAndThoseAfterIt()
    {
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "p");
        string train = Write(dir, "train.yaml", """
            model: {path: x, dropout: 0.1}
            data: {train: [samples/data/train-pairs.jsonl], columns: [anchor, positive], max_train_samples: 64}
            training: {batch_size: 16, learning_rate: 1.0e-3, max_steps: 2, warmup_steps: 1, logging_steps: 1}
            loss: {type: mnrl}
            evaluation: {steps: 0, retrieval: null}
            output: {dir: x, save_steps: 1, tensorboard: false}
            """);
        string config = Write(dir, "pipeline.yaml", $$"""
            output: {{outDir}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt, vocab_size: 800, lowercase: true}
              - {name: init, type: new_bert, tokenizer: tok, hidden: 16, layers: 1, heads: 2, intermediate: 32, max_positions: 64}
              - {name: mlm, type: mlm, model: init, corpus: samples/data/corpus.txt, steps: 2, batch_size: 8}
              - {name: tuned, type: train, config: {{train}}, model: mlm}
            """);
        var first = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.True(first.ExitCode == 0, first.Stderr);
        string mlmWeights = Path.Combine(outDir, "mlm", "model.safetensors"), tuned = Path.Combine(outDir, "tuned", "model.safetensors");
        var mlmWritten = File.GetLastWriteTimeUtc(mlmWeights);
        byte[] tunedBytes = File.ReadAllBytes(tuned);

        var again = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.True(again.ExitCode == 0, again.Stderr);
        string log = again.Stdout + again.Stderr;
        foreach (var stage in new[] { "tok (tokenizer)", "init (new_bert)", "mlm (mlm)", "tuned (train)" })
            Assert.Contains($"{stage}: done by an earlier run with the same settings, kept", log);
        Assert.DoesNotContain("masked-LM loss", log); // nothing trained again
        Assert.Equal(mlmWritten, File.GetLastWriteTimeUtc(mlmWeights));

        // A changed stage runs again, and so do the stages after it (they read its output); those before it are kept.
        var changed = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--set", "mlm.steps=3");
        Assert.True(changed.ExitCode == 0, changed.Stderr);
        log = changed.Stdout + changed.Stderr;
        Assert.Contains("init (new_bert): done by an earlier run with the same settings, kept", log);
        Assert.Contains("step 3/3 masked-LM loss", log);
        string removed = $"removed the checkpoints in {Path.Combine(outDir, "runs", "tuned")}: they are of a run with other settings";
        Assert.Contains(removed, log);
        Assert.DoesNotContain("tuned (train): done by an earlier run", log);
        // Trained again from the new masked-LM model, not resumed from the checkpoint the first run left in runs/tuned
        // (of the same train settings, so the trainer's check let it: resumed at step 2 of 2, it trained nothing).
        Assert.DoesNotContain("resuming from", log);
        Assert.Contains("step 2/2 loss", log);
        Assert.NotEqual(tunedBytes, File.ReadAllBytes(tuned));

        // A stage's output deleted by hand makes it run again; begun with the same key, it resumes from its own checkpoints
        // (as a stage killed midway does).
        Directory.Delete(Path.Combine(outDir, "tuned"), recursive: true);
        var deleted = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--set", "mlm.steps=3");
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        log = deleted.Stdout + deleted.Stderr;
        Assert.Contains("mlm (mlm): done by an earlier run with the same settings, kept", log);
        Assert.DoesNotContain("removed the checkpoints", log); // its own checkpoints, resumed
        Assert.Contains($"resuming from {Path.Combine(outDir, "runs", "tuned", "checkpoints", "step-2")} (step 2)", log);
        Assert.True(File.Exists(tuned));
    }

    [Fact]
    public void ATrainStageRunsAgainWhenADataFileItsConfigNamesChanged()
    {
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "p");
        string data = Path.Combine(dir, "pairs.jsonl");
        var rows = File.ReadLines(Path.Combine(TestPaths.RepoRoot, "samples/data/train-pairs.jsonl")).Take(32).ToList();
        File.WriteAllLines(data, rows);
        string train = Write(dir, "train.yaml", $$"""
            model: {path: x}
            data: {train: [{{data}}], columns: [anchor, positive]}
            training: {batch_size: 16, max_steps: 1, logging_steps: 1}
            loss: {type: mnrl}
            output: {dir: x, tensorboard: false}
            """);
        string config = TrainedFromScratch(dir, outDir, train);
        var first = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var same = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.True(same.ExitCode == 0, same.Stderr);
        Assert.Contains("tuned (train): done by an earlier run with the same settings, kept", same.Stdout + same.Stderr);

        File.WriteAllLines(data, rows.Skip(1)); // the config is unchanged; the data it names is not
        var edited = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.True(edited.ExitCode == 0, edited.Stderr);
        string log = edited.Stdout + edited.Stderr;
        Assert.Contains("init (new_bert): done by an earlier run with the same settings, kept", log);
        Assert.DoesNotContain("tuned (train): done by an earlier run", log);
    }

    [Fact]
    public void FromAndForceRunAgainTheStagesAnEarlierRunFinished()
    {
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "p");
        string train = Write(dir, "train.yaml", """
            model: {path: x}
            data: {train: [samples/data/train-pairs.jsonl], columns: [anchor, positive], max_train_samples: 32}
            training: {batch_size: 16, max_steps: 2, logging_steps: 1}
            loss: {type: mnrl}
            output: {dir: x, save_steps: 1, tensorboard: false}
            """);
        string config = TrainedFromScratch(dir, outDir, train);
        string Run(params string[] more)
        {
            var r = SkaldProcess.RunIn(TestPaths.RepoRoot, ["pipeline", "--config", config, .. more]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return r.Stdout + r.Stderr;
        }
        Run();
        string log = Run("--from", "tuned");
        Assert.Contains("tok (tokenizer): done by an earlier run with the same settings, kept", log);
        Assert.Contains("init (new_bert): done by an earlier run with the same settings, kept", log);
        Assert.Contains("tuned (train): run again (--from tuned)", log);
        string checkpoints = Path.Combine(outDir, "runs", "tuned");
        Assert.Contains($"removed the checkpoints in {checkpoints}: --from tuned starts the stage over", log);
        // Trained from step 0: resumed from the checkpoints of the run it repeats (runs/tuned/checkpoints/step-2), it ended at once.
        Assert.Contains("step 2/2 loss", log);
        Assert.DoesNotContain("resuming from", log);
        log = Run("--force");
        foreach (var stage in new[] { "tok (tokenizer)", "init (new_bert)", "tuned (train)" })
            Assert.Contains($"{stage}: run again (--force)", log);
        Assert.Contains($"removed the checkpoints in {checkpoints}: --force starts the stage over", log);
        Assert.Contains("step 2/2 loss", log);
        Assert.Contains("tuned (train): done by an earlier run with the same settings, kept", Run());

        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--from", "tunde"), 1,
            "--from tunde: no stage is named \"tunde\" (stages: tok, init, tuned)");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--from", "tok", "--force"), 2,
            "--from and --force");
    }
}
