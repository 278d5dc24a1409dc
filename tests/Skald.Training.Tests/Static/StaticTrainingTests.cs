using Skald.Models;
using Skald.Training.Config;
using Skald.Training.Trainer;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Static;

/// <summary>Static models trained by the one trainer (<c>model.type: static</c>): they learn, Matryoshka works, runs are seeded.</summary>
public sealed class StaticTrainingTests(ITestOutputHelper output)
{
    private static readonly StaticFixtures.TopicTask Task = new();

    private static (string Model, double[] Losses) TrainTopics(LossSection loss, int dim, float lr, int steps, ulong seed = 7)
    {
        var model = StaticFixtures.NewModel(Task.TokenizerJson, dim, seed: 11);
        var (a, p, _) = Task.Sample(3000, seed: 1);
        var (result, losses) = StaticFixtures.Train(model.Source.Path, a, p, loss, batchSize: 64, steps, lr, seed);
        Assert.Equal(steps, result.Steps);
        return (result.ModelPath, losses);
    }

    private static double Accuracy(string model, int dims = 0)
    {
        var (a, p, _) = Task.Sample(StaticFixtures.TopicTask.Topics, seed: 99); // held out: one row per topic
        var encoder = SentenceEncoder.Load(model);
        float[][] Cut(float[][] e) => dims == 0 ? e : [.. e.Select(v => v[..dims])];
        return StaticFixtures.RetrievalAccuracy(Cut(encoder.Encode(a)), Cut(encoder.Encode(p)));
    }

    [Fact]
    public void TrainingFromScratchLearnsTheRetrievalTask()
    {
        double random = Accuracy(StaticFixtures.NewModel(Task.TokenizerJson, 32, seed: 11).Source.Path);
        var (model, losses) = TrainTopics(new LossSection { Type = "mnrl" }, 32, lr: 0.1f, steps: 150);
        double trained = Accuracy(model);
        double first = losses.Take(15).Average(), last = losses.TakeLast(15).Average();
        output.WriteLine($"accuracy@1 {random:F3} -> {trained:F3}, loss {first:F3} -> {last:F3}");
        Assert.True(last < 0.5 * first, $"loss {first} -> {last}");
        Assert.True(random < 0.35, $"random init already at {random}");
        Assert.True(trained >= 0.9 && trained > random + 0.5, $"accuracy {random} -> {trained}");
    }

    [Fact]
    public void MatryoshkaTrainingKeepsTruncatedEmbeddingsUseful()
    {
        var (model, _) = TrainTopics(new LossSection { Type = "matryoshka", MatryoshkaDims = [32, 16, 8] }, 32, lr: 0.1f, steps: 150);
        output.WriteLine($"32 dims {Accuracy(model):F3}, 16 dims {Accuracy(model, 16):F3}, 8 dims {Accuracy(model, 8):F3}");
        Assert.True(Accuracy(model) >= 0.9);
        Assert.True(Accuracy(model, dims: 8) >= 0.75, $"8 dims: {Accuracy(model, dims: 8)}");
    }

    [Fact]
    public void SameSeedSameTableAndOtherSeedDiffers()
    {
        var loss = new LossSection { Type = "mnrl" };
        var (a, la) = TrainTopics(loss, 16, lr: 0.1f, steps: 20, seed: 5);
        var (b, lb) = TrainTopics(loss, 16, lr: 0.1f, steps: 20, seed: 5);
        var (c, _) = TrainTopics(loss, 16, lr: 0.1f, steps: 20, seed: 6);
        static byte[] Table(string m) => File.ReadAllBytes(Path.Combine(m, "0_StaticEmbedding", "model.safetensors"));
        Assert.Equal(Table(a), Table(b));
        Assert.Equal(la, lb);
        Assert.NotEqual(Table(a), Table(c));
    }

    [Fact]
    public void EpochsDecideTheStepsWhenMaxStepsIsOff()
    {
        var model = StaticFixtures.NewModel(Task.TokenizerJson, 8, seed: 1);
        var (a, p, _) = Task.Sample(100, seed: 2);
        var (result, losses) = StaticFixtures.Train(model.Source.Path, a, p, new LossSection(), batchSize: 32, steps: -1, lr: 0.1f, seed: 3, epochs: 2);
        Assert.InRange(result.Steps, 8, 10); // 4 batches per epoch (more only if duplicates were deferred)
        Assert.Equal(result.Steps, losses.Length);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
    }

    [Fact]
    public void SkaldTrainConfigWithANewStaticModelCheckpointsResumesAndSaves()
    {
        string dir = StaticFixtures.NewTempDir();
        string tokenizer = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(tokenizer, Task.TokenizerJson);
        var (a, p, _) = Task.Sample(400, seed: 4);
        string data = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(data, a.Zip(p, (x, y) => $"{{\"anchor\": \"{x}\", \"positive\": \"{y}\"}}"));
        TrainingConfig Config(string outDir) => ConfigLoader.Parse($"""
            model:
              type: static
              tokenizer: {tokenizer}
              dim: 16
            data:
              train: {data}
            training:
              batch_size: 32
              learning_rate: 0.1
              max_steps: 10
              weight_decay: 0
            loss:
              type: matryoshka
              matryoshka_dims: [16, 8]
            output:
              dir: {outDir}
              save_steps: 4
            """, "static.yaml");
        var full = new SentenceTrainer(TrainingRun.Build(Config(Path.Combine(dir, "full")))).Run();
        var cut = Config(Path.Combine(dir, "cut"));
        Assert.Throws<OperationCanceledException>(() => new SentenceTrainer(TrainingRun.Build(cut,
            progress => { if (progress.Step == 6) throw new OperationCanceledException(); })).Run());
        var resumed = new SentenceTrainer(TrainingRun.Build(cut)).Run();
        Assert.EndsWith("step-4", resumed.ResumedFrom);
        static byte[] Table(string m) => File.ReadAllBytes(Path.Combine(m, "0_StaticEmbedding", "model.safetensors"));
        Assert.Equal(Table(full.ModelPath), Table(resumed.ModelPath));
        Assert.NotEqual(Table(Path.Combine(dir, "full", "initial-model")), Table(full.ModelPath)); // it trained
        var encoder = SentenceEncoder.Load(full.ModelPath);
        Assert.Equal(16, encoder.Dimension);
        Assert.True(encoder.Folder.IsStatic && encoder.Folder.Normalize);
        Assert.True(File.Exists(Path.Combine(full.ModelPath, "README.md")));
    }

    [Fact]
    public void StaticConfigNeedsAPathOrATokenizer()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            "model: {type: static}\ndata: {train: y}\noutput: {dir: z}", "static.yaml"));
        Assert.Contains("model.tokenizer", e.Message);
        var both = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            "model: {path: x, dim: 8}\ndata: {train: y}\noutput: {dir: z}", "static.yaml"));
        Assert.Contains("model.dim", both.Message);
    }
}
