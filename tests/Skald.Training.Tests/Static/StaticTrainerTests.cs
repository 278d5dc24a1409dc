using Skald.Training.Losses;
using Skald.Training.Static;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Static;

public sealed class StaticTrainerTests(ITestOutputHelper output)
{
    private static readonly StaticFixtures.TopicTask Task = new();

    private static (StaticEmbeddingTrainable Model, StaticTrainingResult Result) TrainTopics(IEmbeddingLoss loss, int dim,
        float lr, int steps, ulong seed = 7)
    {
        var model = StaticEmbeddingTrainable.CreateFromJson(Task.TokenizerJson, dim, seed: 11);
        var (a, p, _) = Task.Sample(3000, seed: 1);
        var trainer = new StaticTrainer(model, loss, new StaticTrainingOptions
        {
            BatchSize = 64, MaxSteps = steps, LearningRate = lr, WarmupRatio = 0.1f, Seed = seed,
        });
        return (model, trainer.Train([a, p]));
    }

    private static double Accuracy(StaticEmbeddingTrainable model, int dims = 0)
    {
        var (a, p, _) = Task.Sample(StaticFixtures.TopicTask.Topics, seed: 99); // held out: one row per topic
        float[][] Cut(float[][] e) => dims == 0 ? e : [.. e.Select(v => v[..dims])];
        return StaticFixtures.RetrievalAccuracy(Cut(model.Encode(a)), Cut(model.Encode(p)));
    }

    [Fact]
    public void TrainingFromScratchLearnsTheRetrievalTask()
    {
        var before = StaticEmbeddingTrainable.CreateFromJson(Task.TokenizerJson, 32, seed: 11);
        double random = Accuracy(before);
        var (model, result) = TrainTopics(StaticTrainer.MnrlLoss(), 32, lr: 0.1f, steps: 150);
        double trained = Accuracy(model);
        output.WriteLine($"accuracy@1 {random:F3} -> {trained:F3}, loss {result.FirstLoss:F3} -> {result.LastLoss:F3}, {result.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(150, result.Steps);
        Assert.True(result.LastLoss < 0.5 * result.FirstLoss, $"loss {result.FirstLoss} -> {result.LastLoss}");
        Assert.True(random < 0.35, $"random init already at {random}");
        Assert.True(trained >= 0.9 && trained > random + 0.5, $"accuracy {random} -> {trained}");
    }

    [Fact]
    public void MatryoshkaTrainingKeepsTruncatedEmbeddingsUseful()
    {
        var (model, _) = TrainTopics(StaticTrainer.MnrlLoss([32, 16, 8]), 32, lr: 0.1f, steps: 150);
        output.WriteLine($"32 dims {Accuracy(model):F3}, 16 dims {Accuracy(model, 16):F3}, 8 dims {Accuracy(model, 8):F3}");
        Assert.True(Accuracy(model) >= 0.9);
        Assert.True(Accuracy(model, dims: 8) >= 0.75, $"8 dims: {Accuracy(model, dims: 8)}");
    }

    [Fact]
    public void SameSeedSameTableAndOtherSeedDiffers()
    {
        var (a, ra) = TrainTopics(StaticTrainer.MnrlLoss(), 16, lr: 0.1f, steps: 20, seed: 5);
        var (b, rb) = TrainTopics(StaticTrainer.MnrlLoss(), 16, lr: 0.1f, steps: 20, seed: 5);
        var (c, _) = TrainTopics(StaticTrainer.MnrlLoss(), 16, lr: 0.1f, steps: 20, seed: 6);
        Assert.Equal(a.Weight.Data, b.Weight.Data);
        Assert.Equal(ra.Losses, rb.Losses);
        Assert.NotEqual(a.Weight.Data, c.Weight.Data);
    }

    [Fact]
    public void ProgressReportsEveryStepAndEpochsCount()
    {
        var model = StaticEmbeddingTrainable.CreateFromJson(Task.TokenizerJson, 8, seed: 1);
        var (a, p, _) = Task.Sample(100, seed: 2);
        var seen = new List<int>();
        var result = new StaticTrainer(model, StaticTrainer.MnrlLoss(), new StaticTrainingOptions
        {
            BatchSize = 32, Epochs = 2, Progress = (s, l) => { Assert.True(float.IsFinite(l)); seen.Add(s); },
        }).Train([a, p]);
        Assert.InRange(result.Steps, 8, 10); // 4 batches per epoch (more only if duplicates were deferred)
        Assert.Equal(Enumerable.Range(1, result.Steps), seen);
    }
}
