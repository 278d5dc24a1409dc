using System.Diagnostics;
using Skald.Models;
using Skald.Models.Checkpoints;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary><c>skald train</c> through the real process: a kill -9 and resume, and one clear message per bad input.</summary>
public sealed class TrainCliTests(ITestOutputHelper output)
{
    private readonly string dir = InfraPaths.NewTempDir();

    private static string Pairs(int n) => string.Concat(Enumerable.Range(0, n).Select(i =>
        $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\"}}\n"));

    private string Config(string data, string outDir, string extra = "") => InfraPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
        model:
          path: {InfraPaths.FixtureModel("bert-cased-mean")}
          dropout: 0.1
        data:
          train: {data}
        training:
          batch_size: 8
          learning_rate: 5.0e-4
          max_steps: 40
          warmup_steps: 4
          logging_steps: 5
        output:
          dir: {outDir}
          save_steps: 5
        {extra}
        """);

    [Fact]
    public void KilledRunResumesToTheSameWeightsAsAnUninterruptedRun()
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", Pairs(48));
        string fullOut = Path.Combine(dir, "full"), killedOut = Path.Combine(dir, "killed");
        string fullConfig = Config(data, fullOut), killedConfig = Config(data, killedOut);

        var full = SkaldProcess.RunIn(dir, "train", "--config", fullConfig, "--quiet");
        Assert.True(full.ExitCode == 0, full.Stderr);

        // Start the same run, SIGKILL it once a checkpoint exists, then run the same command again.
        var sw = Stopwatch.StartNew();
        using (var p = Process.Start(SkaldProcess.StartInfo(dir, "train", "--config", killedConfig, "--quiet"))!)
        {
            string marker = Path.Combine(killedOut, "checkpoints", "step-10", "trainer_state.json");
            while (!File.Exists(marker) && !p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(10);
            bool finishedEarly = p.HasExited; // (no message argument reading stderr here: it would wait for the exit)
            p.Kill(); // SIGKILL on Unix
            p.WaitForExit();
            Assert.False(finishedEarly, "the run finished before it could be killed");
            Assert.NotEqual(0, p.ExitCode);
        }
        Assert.False(Directory.Exists(Path.Combine(killedOut, "final")));
        int killedAt = new Checkpoints(killedOut).Newest;
        output.WriteLine($"killed after checkpoint step-{killedAt} ({sw.ElapsedMilliseconds} ms)");
        Assert.True(killedAt < 40);

        var resumed = SkaldProcess.RunIn(dir, "train", "--config", killedConfig);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("resuming from", resumed.Stderr);

        byte[] a = File.ReadAllBytes(Path.Combine(fullOut, "final", "model.safetensors"));
        byte[] b = File.ReadAllBytes(Path.Combine(killedOut, "final", "model.safetensors"));
        Assert.True(a.AsSpan().SequenceEqual(b), "final weights differ between the uninterrupted and the resumed run");
        Assert.Equal(File.ReadAllLines(Path.Combine(fullOut, "metrics.jsonl")), File.ReadAllLines(Path.Combine(killedOut, "metrics.jsonl")));
        using var untrained = SafeTensorsFile.Open(Path.Combine(InfraPaths.FixtureModel("bert-cased-mean"), "model.safetensors"));
        using var trained = SafeTensorsFile.Open(Path.Combine(killedOut, "final", "model.safetensors"));
        Assert.NotEqual(untrained.ReadFloat32("embeddings.word_embeddings.weight"), trained.ReadFloat32("embeddings.word_embeddings.weight"));
        Assert.Equal(32, SentenceEncoder.Load(Path.Combine(killedOut, "final")).Encode("Hei").Length);
    }

    private sealed class Checkpoints(string outDir)
    {
        public int Newest => Directory.GetDirectories(Path.Combine(outDir, "checkpoints"), "step-*")
            .Select(d => int.Parse(Path.GetFileName(d)[5..])).Max();
    }

    [Fact]
    public void QuickTestWithSetOverridesRuns()
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", Pairs(40));
        string outDir = Path.Combine(dir, "quick");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--quick-test", "--set", "training.batch_size=4",
            "--set", "training.max_steps=3", "--set=model.dropout=0");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("[quick test]", r.Stderr);
        Assert.Contains("after 3 steps", r.Stderr);
        Assert.True(File.Exists(Path.Combine(outDir, "final", "README.md")));
    }

    [Fact]
    public void ZeroMaxStepsIsAnErrorNotAWholeEpoch()
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", Pairs(16));
        string outDir = Path.Combine(dir, "zero");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "training.max_steps=0");
        SkaldProcess.AssertUserError(r, 1, "--set: training.max_steps must be a positive number of steps, or -1");
        Assert.False(Directory.Exists(Path.Combine(outDir, "final")));
    }

    [Fact]
    public void UnwritableOutputDirIsNamedBeforeTraining()
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", Pairs(16));
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, "/proc/skald-cannot-write"));
        SkaldProcess.AssertUserError(r, 1, "output.dir /proc/skald-cannot-write: cannot write there");
    }

    [Fact]
    public void AFailureBeforeTrainingLeavesNoOutputDirBehind()
    {
        // output.dir (and its missing parents) were created to check they take files, and left empty by a bad model.
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", Pairs(16));
        string notModel = Path.Combine(dir, "not-a-model"), parent = Path.Combine(dir, "new");
        Directory.CreateDirectory(notModel);
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(parent, "run")), "--set", $"model.path={notModel}");
        SkaldProcess.AssertUserError(r, 1, $"{notModel}: not a model folder (no config.json or modules.json)");
        Assert.False(Directory.Exists(parent), "output.dir was created before training started");
    }

    [Fact]
    public void AFileWhereTheRunWritesAFolderIsNamedBeforeTraining()
    {
        // Found only when the final model was saved, the run's weights were lost.
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", Pairs(16));
        string outDir = Path.Combine(dir, "final-file");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "final"), "x");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "training.max_steps=2");
        SkaldProcess.AssertUserError(r, 1, $"output.dir {outDir}: 'final' is a file; the run writes a folder there");
        Assert.False(Directory.Exists(Path.Combine(outDir, "checkpoints")), "training ran");
    }

    [Fact]
    public void IdenticalRowsWithNoDuplicatesAreRefusedNotTrainedOneByOne()
    {
        string data = InfraPaths.WriteFile(dir, "same.jsonl", string.Concat(Enumerable.Repeat(
            "{\"anchor\": \"Hvor ligger Bergen?\", \"positive\": \"På Vestlandet.\"}\n", 40)));
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "same")));
        SkaldProcess.AssertUserError(r, 1, "same.jsonl", "no batch can hold two rows");
        var ok = SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "dups")), "--set", "training.no_duplicates=false",
            "--set", "training.max_steps=2", "--quiet");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
    }

    [Fact]
    public void RowsThatCannotFillANoDuplicatesBatchAreNamedNotHidden()
    {
        // 16 rows over 4 distinct answers: a batch without a repeated text holds 4 rows, not 8.
        string data = InfraPaths.WriteFile(dir, "few.jsonl", string.Concat(Enumerable.Range(0, 16).Select(i =>
            $"{{\"anchor\": \"Spørsmål {i}?\", \"positive\": \"Svar {i % 4}.\"}}\n")));
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "few")), "--set", "training.max_steps=2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("few.jsonl: with training.no_duplicates its rows repeat texts, so batches hold at most 4 of training.batch_size 8 rows", r.Stderr);
    }

    [Fact]
    public void MissingColumnNamesFileAndLine()
    {
        string data = InfraPaths.WriteFile(dir, "bad.jsonl", Pairs(3) + "{\"anchor\": \"bare\"}\n");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "o"))), 1,
            "bad.jsonl:4: missing column 'positive'");
    }

    [Fact]
    public void EmptyTextNamesFileLineAndColumn()
    {
        string data = InfraPaths.WriteFile(dir, "empty.csv", "anchor,positive\nHei,Hallo\n\"\",Tomt\n");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "o"))), 1,
            "empty.csv:3: empty text in column 'anchor'");
    }

    [Fact]
    public void UnreadableDataFileIsNamed()
    {
        string data = Path.Combine(dir, "nowhere.jsonl");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "o"))), 1,
            "nowhere.jsonl: file not found");
    }

    [Fact]
    public void UnknownConfigKeyIsNamedWithItsLine()
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", Pairs(20));
        string config = Config(data, Path.Combine(dir, "o"), "evaluation:\n  stepz: 10\n");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", config), 1,
            Path.GetFileName(config) + ":16: unknown config key 'evaluation.stepz'");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "o")), "--set", "training.bs=3"), 1,
            "--set: unknown config key 'training.bs'");
    }

    [Fact]
    public void BatchLargerThanTheDataIsAnError()
    {
        string data = InfraPaths.WriteFile(dir, "small.jsonl", Pairs(5));
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "o"))), 1,
            "training.batch_size 8 is larger than the data", "small.jsonl has 5 rows");
    }

    [Fact]
    public void MoreStepsThanAnIntHoldsAreAnError()
    {
        // 20 rows in batches of 8: 3 batches an epoch (the last one of 4); 2·10⁹ epochs of 3 steps overflowed the step count.
        // (An accumulation over more batches than an epoch has is one step of the epoch's batches, as in transformers:
        // AccumulationStepsTests.)
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", Pairs(20));
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "o")),
            "--set", "training.epochs=2000000000", "--set", "training.max_steps=-1"), 1, "training.epochs 2000000000 × 3 steps an epoch is more than 2147483647 steps");
        Assert.False(Directory.Exists(Path.Combine(dir, "o", "checkpoints")));
    }

    [Fact]
    public void MissingConfigFileAndWrongColumnsForTheLoss()
    {
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Path.Combine(dir, "none.yaml")), 1, $"{Path.Combine(dir, "none.yaml")}: file not found");
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", Pairs(20));
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "o")), "--set", "loss.type=triplet"), 1,
            "pairs.jsonl: loss.type triplet needs exactly (anchor, positive, negative) text columns; the file has 2 (anchor, positive)");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "o")), "--set", "loss.type=margin_mse"), 1,
            "pairs.jsonl: loss.type margin_mse needs (query, positive, negative[, negative...]) text columns and a label column");
    }

    [Fact]
    public void MseDistilsATeacherOnParallelRowsAndNeedsOne()
    {
        string data = InfraPaths.WriteFile(dir, "bitext.jsonl", string.Concat(Enumerable.Range(0, 16).Select(i =>
            $"{{\"nb\": \"Hus nummer {i} ligger ved sjøen.\", \"sv\": \"Hus nummer {i} ligger vid sjön.\"}}\n")));
        string teacher = Path.Combine(InfraPaths.RepoRoot, "fixtures", "training", "teacher");
        string outDir = Path.Combine(dir, "mse");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "loss.type=mse", "--set", $"loss.teacher={teacher}",
            "--set", "training.max_steps=4", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("MSELoss", File.ReadAllText(Path.Combine(outDir, "final", "README.md")));
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "loss.type=mse"), 1,
            "loss.type mse distils a teacher: set loss.teacher");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "loss.type=mse",
            "--set", "loss.teacher=" + InfraPaths.FixtureModel("decoder-qwen2")), 1, "makes 64-d embeddings, the student 32-d");
    }

    [Fact]
    public void GistTrainsWithAGuideAndNeedsOne()
    {
        string data = InfraPaths.WriteFile(dir, "gist.jsonl", Pairs(16));
        string guide = Path.Combine(InfraPaths.RepoRoot, "fixtures", "training", "teacher");
        string outDir = Path.Combine(dir, "gist");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "loss.type=gist", "--set", $"loss.guide={guide}",
            "--set", "loss.margin_strategy=relative", "--set", "loss.margin=0.05", "--set", "training.max_steps=4", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string card = File.ReadAllText(Path.Combine(outDir, "final", "README.md"));
        Assert.Contains("GISTEmbedLoss", card);
        Assert.Contains("\"margin_strategy\": \"relative\"", card);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "loss.type=gist"), 1,
            "loss.type gist screens negatives with a guide model: set loss.guide");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir, "loss:\n  type: gist\n  margin: 5.0\n")), 1,
            "loss.margin 5 would drop every gist negative");
    }

    [Fact]
    public void MarginMseReadsAListOfMarginsForSeveralNegatives()
    {
        string Rows(Func<int, string> label) => string.Concat(Enumerable.Range(0, 16).Select(i => FormattableString.Invariant(
            $"{{\"query\": \"Hvor ligger hus {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative_1\": \"Bussen går klokka {i}.\", \"negative_2\": \"Kafeen stenger {i}.\", \"label\": {label(i)}}}\n")));
        string data = InfraPaths.WriteFile(dir, "tuples.jsonl", Rows(i => FormattableString.Invariant($"[{0.3 + 0.01 * i:R}, {0.5 - 0.01 * i:R}]")));
        string outDir = Path.Combine(dir, "tuples");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "loss.type=margin_mse", "--set", "training.max_steps=4", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string scores = InfraPaths.WriteFile(dir, "scores.jsonl", Rows(_ => "[0.9, 0.2, 0.1]")); // positive, then each negative
        r = SkaldProcess.RunIn(dir, "train", "--config", Config(scores, Path.Combine(dir, "scores")), "--set", "loss.type=margin_mse", "--set", "training.max_steps=2", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string wrong = InfraPaths.WriteFile(dir, "wrong.jsonl", Rows(_ => "[0.1, 0.2, 0.3, 0.4]"));
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(wrong, outDir), "--set", "loss.type=margin_mse"), 1,
            "wrong.jsonl: loss.type margin_mse with 2 negative columns needs 2 margins or 3 scores");
        string ragged = InfraPaths.WriteFile(dir, "ragged.jsonl", Rows(i => i == 3 ? "[0.1]" : "[0.1, 0.2]"));
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(ragged, outDir), "--set", "loss.type=margin_mse"), 1,
            "ragged.jsonl:4: column 'label' has 1 number, the first row 2");
        string pairs = InfraPaths.WriteFile(dir, "listpairs.jsonl", string.Concat(Enumerable.Range(0, 16).Select(i =>
            $"{{\"sentence1\": \"Hus {i}.\", \"sentence2\": \"Huset {i}.\", \"score\": [0.5, 0.5]}}\n")));
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(pairs, outDir), "--set", "loss.type=cosent"), 1,
            "loss.type cosent reads one label per row, not lists of 2");
    }

    [Fact]
    public void AnglETrainsOnScoredPairsAndTheCardNamesIt()
    {
        string data = InfraPaths.WriteFile(dir, "sts.jsonl", string.Concat(Enumerable.Range(0, 16).Select(i => FormattableString.Invariant(
            $"{{\"sentence1\": \"Hus nummer {i} ligger ved sjøen.\", \"sentence2\": \"Huset ligger {i} meter fra sjøen.\", \"score\": {i / 16.0:R}}}\n"))));
        string outDir = Path.Combine(dir, "angle");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "loss.type=angle", "--set", "training.max_steps=4", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("AnglELoss", File.ReadAllText(Path.Combine(outDir, "final", "README.md")));
    }

    [Theory]
    [InlineData("contrastive", "ContrastiveLoss")]
    [InlineData("online_contrastive", "OnlineContrastiveLoss")]
    public void ContrastiveLossesTrainOnZeroOneLabelsOnly(string type, string card)
    {
        string Pairs01(string label) => string.Concat(Enumerable.Range(0, 16).Select(i => FormattableString.Invariant(
            $"{{\"sentence1\": \"Hus nummer {i} ligger ved sjøen.\", \"sentence2\": \"{(i % 2 == 0 ? $"Huset ligger {i} meter fra sjøen." : $"Bussen går klokka {i}.")}\", \"label\": {(i % 2 == 0 ? "1" : label)}}}\n")));
        string data = InfraPaths.WriteFile(dir, type + ".jsonl", Pairs01("0"));
        string outDir = Path.Combine(dir, type);
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", $"loss.type={type}", "--set", "training.max_steps=4", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(card, File.ReadAllText(Path.Combine(outDir, "final", "README.md")));
        string scored = InfraPaths.WriteFile(dir, type + "-scored.jsonl", Pairs01("0.3"));
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(scored, outDir), "--set", $"loss.type={type}"), 1,
            $"loss.type {type} needs labels 0 or 1; line 2 has 0.3");
    }

    [Fact]
    public void MarginMseTrainsOnMarginLabelledTripletsAndTheCardNamesIt()
    {
        string data = InfraPaths.WriteFile(dir, "margins.jsonl", string.Concat(Enumerable.Range(0, 16).Select(i => FormattableString.Invariant(
            $"{{\"query\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i}.\", \"label\": {0.3 + 0.02 * i:R}}}\n"))));
        string outDir = Path.Combine(dir, "margin");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--set", "loss.type=margin_mse", "--set", "training.max_steps=4", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("MarginMSELoss", File.ReadAllText(Path.Combine(outDir, "final", "README.md")));
    }
}
