using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Tests.Static;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// <c>training.epochs: 0.5</c> trains half an epoch's steps, rounded up, as transformers' fractional
/// <c>num_train_epochs</c> (<c>max_steps = ceil(num_train_epochs × update steps per epoch)</c>): it was refused.
/// 64 rows in batches of 8 are 8 batches an epoch.
/// </summary>
public sealed class FractionalEpochsTests
{
    private static readonly StaticFixtures.TopicTask Task = new();

    private static readonly string Model = StaticFixtures.NewModel(Task.TokenizerJson, 8, seed: 3).Source.Path;

    private static SentenceTrainer Trainer(double epochs, int accumulation)
    {
        var (a, p, _) = Task.Sample(64, seed: 5);
        var config = new TrainingConfig
        {
            Model = new ModelSection(Model, Dropout: 0) { Type = "static" },
            Data = new DataSection([]),
            Training = new TrainingSection { BatchSize = 8, Epochs = epochs, GradientAccumulationSteps = accumulation, LearningRate = 0.1f },
            Loss = new LossSection { Type = "mnrl" },
            Evaluation = new EvaluationSection(),
            Output = new OutputSection { Dir = Path.Combine(StaticFixtures.NewTempDir(), "run"), SaveSteps = 0, Tensorboard = false },
        };
        return new SentenceTrainer(TrainingRun.Build(config, [new TextDataset("pairs", ["anchor", "positive"], [.. a.Zip(p, (x, y) => new[] { x, y })])], null));
    }

    [Theory]
    [InlineData(0.5, 1, 4)]
    [InlineData(1.5, 1, 12)]
    [InlineData(0.3, 1, 3)] // ceil(2.4)
    [InlineData(0.5, 3, 2)] // 3 steps an epoch (the last of two batches): ceil(1.5)
    public void APartOfAnEpochIsItsStepsRoundedUp(double epochs, int accumulation, int steps)
    {
        Assert.Equal(steps, Trainer(epochs, accumulation).TotalSteps(out _));
    }

    [Fact]
    public void HalfAnEpochTrainsAndStops()
    {
        Assert.Equal(4, Trainer(0.5, 1).Run().Steps);
    }
}
