using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// A run resumed with LoRA settings that change what is trained is refused naming the setting, as other changed settings
/// are: a DoRA checkpoint resumed without <c>lora.use_dora</c> dropped its trained magnitudes and went on as plain LoRA
/// (no message), the other way round failed on a "missing parameter", and <c>lora.use_rslora</c> rescaled the
/// checkpoint's adapters unnoticed. The run after a <c>--quick-test</c> in the same folder is told that is why.
/// </summary>
public sealed class ResumeSettingsTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private TrainingConfig Run(string lora, int steps, bool quickTest = false, int rank = 2, int batch = 4) => ConfigLoader.Parse($$"""
        model: {path: {{InfraPaths.FixtureModel("bert-cased-mean")}}, dropout: 0}
        data: {train: {{Data()}}}
        training: {batch_size: {{batch}}, learning_rate: 1.0e-3, max_steps: {{steps}}}
        lora: {r: {{rank}}, alpha: 4, dropout: 0, target_modules: [query, value]{{lora}}}
        evaluation: {steps: 0}
        output: {dir: {{Path.Combine(dir, "out")}}, save_steps: 2, tensorboard: false}
        """, "lora.yaml", quickTest: quickTest);

    private string Data()
    {
        string path = Path.Combine(dir, "pairs.jsonl");
        if (!File.Exists(path))
            File.WriteAllLines(path, Enumerable.Range(0, 16).Select(i => $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferje {i} går klokka åtte.\"}}"));
        return path;
    }

    private string ResumeError(string before, string after)
    {
        new SentenceTrainer(TrainingRun.Build(Run(before, 2))).Run();
        Assert.True(File.Exists(Path.Combine(dir, "out", "checkpoints", "step-2", "trainer_state.json")));
        return Assert.Throws<TrainingException>(() => new SentenceTrainer(TrainingRun.Build(Run(after, 4))).Run()).Message;
    }

    [Theory]
    [InlineData(", use_dora: true", "", "true → false")]
    [InlineData("", ", use_dora: true", "false → true")]
    public void TurningDoraOnOrOffIsNamed(string before, string after, string values)
    {
        Assert.Equal($"{Path.Combine(dir, "out", "checkpoints", "step-2")} was written with other settings: lora.use_dora changed ({values}); " +
            "use a new output.dir or set output.resume=false", ResumeError(before, after));
    }

    [Fact]
    public void TurningRsLoraOnOrOffIsNamed()
    {
        Assert.Contains(": lora.use_rslora changed (true → false);", ResumeError(", use_rslora: true", ""));
    }

    [Fact]
    public void AChangedLoraRankIsNamedAsItsKey()
    {
        // (the fingerprint holds r/alpha/target_modules as one part: the line named "lora", not a key a user can look for)
        new SentenceTrainer(TrainingRun.Build(Run("", 2))).Run();
        var e = Assert.Throws<TrainingException>(() => new SentenceTrainer(TrainingRun.Build(Run("", 4, rank: 4))).Run());
        Assert.Contains("was written with other settings: lora.r changed (2 → 4); use a new output.dir", e.Message);
    }

    [Fact]
    public void AChangedBatchSizeIsNamedWithBothValues()
    {
        new SentenceTrainer(TrainingRun.Build(Run("", 2))).Run();
        var e = Assert.Throws<TrainingException>(() => new SentenceTrainer(TrainingRun.Build(Run("", 4, batch: 8))).Run());
        Assert.Contains("was written with other settings: training.batch_size changed (4 → 8); use a new output.dir", e.Message);
    }

    [Fact]
    public void TheRunAfterAQuickTestInTheSameFolderIsToldSo()
    {
        // --quick-test caps the rows (data.max_train_samples 1000): the real run was refused for "data.max_train_samples
        // changed", a key its config does not have.
        new SentenceTrainer(TrainingRun.Build(Run("", 20, quickTest: true))).Run(); // (its checkpoint: at step 20)
        var e = Assert.Throws<TrainingException>(() => new SentenceTrainer(TrainingRun.Build(Run("", 24))).Run());
        Assert.Equal($"{Path.Combine(dir, "out", "checkpoints", "step-20")} was written by a --quick-test run; start this run over with " +
            "--set output.resume=false (the quick test's checkpoints are deleted) or give it a new output.dir", e.Message);
        // A second quick test resumes from the first.
        Assert.EndsWith("step-20", new SentenceTrainer(TrainingRun.Build(Run("", 20, quickTest: true))).Run().ResumedFrom);
    }

    [Fact]
    public void ACheckpointFromBeforeTheLoraVariantsWereRecordedStillResumes()
    {
        // Its fingerprint has no lora.use_dora / use_rslora entries: it resumes as it did (nothing to compare them with).
        new SentenceTrainer(TrainingRun.Build(Run(", use_dora: true", 2))).Run();
        string file = Path.Combine(dir, "out", "checkpoints", "step-2", "trainer_state.json");
        string json = File.ReadAllText(file);
        Assert.Contains(";lora.use_dora=true;lora.use_rslora=false", json);
        File.WriteAllText(file, json.Replace(";lora.use_dora=true;lora.use_rslora=false", "", StringComparison.Ordinal));
        Assert.EndsWith("step-2", new SentenceTrainer(TrainingRun.Build(Run(", use_dora: true", 4))).Run().ResumedFrom);
    }

    [Fact]
    public void TheSameLoraSettingsStillResume()
    {
        new SentenceTrainer(TrainingRun.Build(Run(", use_dora: true, use_rslora: true", 2))).Run();
        var resumed = new SentenceTrainer(TrainingRun.Build(Run(", use_dora: true, use_rslora: true", 4))).Run();
        Assert.EndsWith("step-2", resumed.ResumedFrom);
        Assert.Equal(4, resumed.Steps);
    }
}
