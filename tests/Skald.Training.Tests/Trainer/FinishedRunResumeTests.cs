using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Tests.Static;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// Running a finished run's command again with another learning rate (output.resume is on by default) resumes from its
/// last checkpoint, which is at the end: nothing trains, and the run says so instead of saving the old model as if new.
/// A metric_for_best_model that is not computed is refused before training with the nearest metric's name.
/// </summary>
public sealed class FinishedRunResumeTests
{
    private static readonly StaticFixtures.TopicTask Task = new();

    private static readonly string Model = StaticFixtures.NewModel(Task.TokenizerJson, 8, seed: 3).Source.Path;

    private static TrainingConfig Config(string dir, float lr, string? metric = null) => new()
    {
        Model = new ModelSection(Model, Dropout: 0) { Type = "static" },
        Data = new DataSection([]),
        Training = new TrainingSection { BatchSize = 8, MaxSteps = 4, LearningRate = lr, WeightDecay = 0 },
        Loss = new LossSection { Type = "mnrl" },
        Evaluation = new EvaluationSection { MetricForBestModel = metric },
        Output = new OutputSection { Dir = dir, SaveSteps = 2, Tensorboard = false },
    };

    private static TextDataset Rows(string name, int count)
    {
        var (a, p, _) = Task.Sample(count, seed: 5);
        return new TextDataset(name, ["anchor", "positive"], [.. a.Zip(p, (x, y) => new[] { x, y })]);
    }

    [Fact]
    public void ResumingAFinishedRunSaysNothingIsLeftToTrain()
    {
        string dir = Path.Combine(StaticFixtures.NewTempDir(), "run");
        var first = new List<string>();
        new SentenceTrainer(TrainingRun.Build(Config(dir, 0.1f), [Rows("pairs", 64)], null, log: first.Add)).Run();
        Assert.DoesNotContain(first, l => l.Contains("nothing is left to train", StringComparison.Ordinal));

        var again = new List<string>();
        var result = new SentenceTrainer(TrainingRun.Build(Config(dir, 0.5f), [Rows("pairs", 64)], null, log: again.Add)).Run();
        Assert.EndsWith("step-4", result.ResumedFrom);
        Assert.Contains(again, l => l.Contains("step-4 is at step 4 of 4: nothing is left to train", StringComparison.Ordinal)
            && l.Contains("output.resume: false", StringComparison.Ordinal));
    }

    [Fact]
    public void AMistypedBestMetricNamesTheNearestOneBeforeTraining()
    {
        string dir = Path.Combine(StaticFixtures.NewTempDir(), "run");
        var config = Config(dir, 0.1f, metric: "eval_triplet_acc");
        var triplets = new TextDataset("eval", ["anchor", "positive", "negative"],
            [.. Enumerable.Range(0, 8).Select(i => new[] { Task.Words[i], Task.Words[i + 8], Task.Words[i + 16] })]);
        var e = Assert.Throws<TrainingException>(() => new SentenceTrainer(TrainingRun.Build(config, [Rows("pairs", 64)], triplets)).Run());
        Assert.StartsWith("evaluation.metric_for_best_model 'eval_triplet_acc' is not among the metrics; did you mean 'eval_triplet_accuracy'?", e.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "checkpoints")));
    }
}
