using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Tests.Static;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// A run started again whose newest checkpoint is before where the earlier run got (5 steps, a checkpoint every 2: the
/// newest is step 4) says in one line which checkpoint it resumes from, at which step and epoch, where in the data, and
/// which steps are trained again, as transformers' resume_from_checkpoint logs it; a learning rate or step count changed
/// in between (not part of the fingerprint: resuming allows it) is named with both values rather than passing unnoticed.
/// </summary>
public sealed class ResumeLineTests
{
    private static readonly StaticFixtures.TopicTask Task = new();

    private static readonly string Model = StaticFixtures.NewModel(Task.TokenizerJson, 8, seed: 3).Source.Path;

    private readonly string dir = Path.Combine(StaticFixtures.NewTempDir(), "run");

    private TrainingConfig Config(float lr = 0.1f, int steps = 5) => new()
    {
        Model = new ModelSection(Model, Dropout: 0) { Type = "static" },
        Data = new DataSection([]),
        Training = new TrainingSection { BatchSize = 8, MaxSteps = steps, LearningRate = lr, WeightDecay = 0, LoggingSteps = 1 },
        Loss = new LossSection { Type = "mnrl" },
        Evaluation = new EvaluationSection(),
        Output = new OutputSection { Dir = dir, SaveSteps = 2, Tensorboard = false },
    };

    private static TextDataset Rows()
    {
        var (a, p, _) = Task.Sample(64, seed: 5);
        return new TextDataset("pairs", ["anchor", "positive"], [.. a.Zip(p, (x, y) => new[] { x, y })]);
    }

    private List<string> Train(TrainingConfig config)
    {
        var log = new List<string>();
        new SentenceTrainer(TrainingRun.Build(config, [Rows()], null, log: log.Add)).Run();
        return log;
    }

    [Fact]
    public void AResumeSaysFromWhereAndWhatIsTrainedAgain()
    {
        Train(Config());
        var again = Train(Config());
        string ckpt = Path.Combine(dir, "checkpoints", "step-4");
        Assert.Contains($"resuming from {ckpt} (step 4): step 4 of 5, epoch 0.5; skipping the first 4 batches of epoch 1; " +
            "the earlier run had reached step 5, so step 5 is trained again (a checkpoint is written every output.save_steps = 2)", again);
        Assert.DoesNotContain(again, l => l.Contains("was written with", StringComparison.Ordinal));
    }

    [Fact]
    public void AChangedLearningRateAndLengthAreNamed()
    {
        Train(Config());
        var again = Train(Config(lr: 0.05f, steps: 6));
        Assert.Contains($"{Path.Combine(dir, "checkpoints", "step-4")} was written with training.learning_rate 0.1 (now 0.05), " +
            "training.max_steps: 5 steps in all (now 6): the remaining steps follow the new schedule from step 4", again);
    }
}
