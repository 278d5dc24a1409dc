using System.Globalization;
using System.Text.Json;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// Optimizer steps under gradient accumulation as transformers' Trainer takes them, against
/// fixtures/training/trainer_steps.json (make_trainer_steps.py restates trainer.py's arithmetic): the steps in all, the
/// batches each step takes (an epoch's last window holds the batches left, never the next epoch's), the gradient scale
/// (1 / the window's batches), the epoch reached and the rate each update uses, which the warm-up
/// (ceil(steps × warmup_ratio), the ratio as written) and the steps in all shape. Skald's steps ran on into the next
/// epoch to fill the window, scaled every batch by 1 / accumulation, refused an accumulation over more batches than an
/// epoch has and read a warmup_ratio of 0.1 as the float 0.100000001 (50 steps: 6 warm-up steps, not 5).
/// </summary>
public sealed class AccumulationStepsTests
{
    private static readonly JsonElement Fixture = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("trainer_steps.json"))).RootElement;

    public static TheoryData<int> Cases() => [.. Enumerable.Range(0, Fixture.GetProperty("cases").GetArrayLength())];

    /// <summary>A loss that touches no gradient and records the scale each batch is given.</summary>
    private sealed class ScaleRecorder : ILoss
    {
        public List<float> Scales { get; } = [];

        public string Name => "mnrl";

        public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
        {
            Scales.Add(gradientScale);
            return 1f;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StepsWindowsEpochsAndRatesAreTransformers(int index)
    {
        var c = Fixture.GetProperty("cases")[index];
        var inv = CultureInfo.InvariantCulture;
        string Text(string key) => c.GetProperty(key).GetRawText();
        var config = ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
              dropout: 0
            data:
              train: pairs.jsonl
            training:
              batch_size: {Text("batch_size")}
              gradient_accumulation_steps: {Text("accumulation")}
              epochs: {Text("epochs")}
              max_steps: {Text("max_steps")}
              warmup_ratio: {Text("warmup_ratio")}
              learning_rate: {Fixture.GetProperty("peak_learning_rate").GetRawText()}
              scheduler: linear
              logging_steps: 1000
            output:
              dir: {Path.Combine(InfraPaths.NewTempDir(), "run")}
              save_steps: 0
              tensorboard: false
            """, "steps.yaml");
        int rows = c.GetProperty("rows").GetInt32();
        var data = new TextDataset("pairs.jsonl", ["anchor", "positive"],
            [.. Enumerable.Range(0, rows).Select(i => new[] { $"q{i} about", $"doc{i} text" })]);
        var model = new BowModel();
        var loss = new ScaleRecorder();
        var progress = new List<(TrainingProgress P, int Batches)>();
        var trainer = new SentenceTrainer(new TrainerSetup
        {
            Model = model, Loss = loss, Optimizer = new MomentumSgd(model.Parameters), Clip = MomentumSgd.Clip, Train = [data],
            Config = config, Progress = p => progress.Add((p, loss.Scales.Count)),
        });

        Assert.Equal(c.GetProperty("total_steps").GetInt32(), trainer.TotalSteps(out int batchesPerEpoch));
        Assert.Equal(c.GetProperty("batches_per_epoch").GetInt32(), batchesPerEpoch);
        var result = trainer.Run();

        var steps = c.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal(steps.Length, result.Steps);
        Assert.Equal(steps.Length, progress.Count);
        int before = 0;
        for (int s = 0; s < steps.Length; s++)
        {
            int expected = steps[s].GetProperty("batches").GetInt32();
            var (p, after) = progress[s];
            Assert.True(expected == after - before, string.Create(inv, $"step {s + 1}: {after - before} batches, transformers takes {expected}"));
            Assert.All(loss.Scales.Skip(before).Take(after - before), scale => Assert.Equal(1f / expected, scale));
            Assert.Equal(steps[s].GetProperty("epoch").GetDouble(), p.Epoch, 9);
            Assert.Equal(steps[s].GetProperty("learning_rate").GetDouble(), p.LearningRate, 6);
            before = after;
        }
    }
}
