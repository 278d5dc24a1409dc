using System.Diagnostics;
using Skald.Training.Config;
using Skald.Training.Evaluation;
using Skald.Training.Trainer;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>Fine-tuning on real Swedish NLI triplets (../shared/data, not in the repository; skipped with a reason when absent).</summary>
public sealed class RealDataTests(ITestOutputHelper output)
{
    [Fact]
    public void FineTuningOnSweNliRaisesHeldOutTripletAccuracy()
    {
        string? data = InfraPaths.SharedData is { } shared ? Path.Combine(shared, "triplets", "swenli-sv.jsonl") : null;
        if (data is null || !File.Exists(data))
        {
            output.WriteLine("skipped: ../shared/data/triplets/swenli-sv.jsonl not found (set SKALD_SHARED_DATA to the shared data folder)");
            return;
        }
        var sw = Stopwatch.StartNew();
        string outDir = Path.Combine(InfraPaths.NewTempDir(), "swenli");
        // The tiny fixture model (hidden 32, 2 layers, an 800-token vocabulary) with TripletLoss: 80 steps of 32 rows.
        var config = ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
              dropout: 0.1
            data:
              train: {data}
              eval_split: 400
              max_train_samples: 2500
            training:
              batch_size: 32
              learning_rate: 2.0e-3
              max_steps: 80
              warmup_steps: 6
              logging_steps: 20
            loss:
              type: triplet
              margin: 1.0
            output:
              dir: {outDir}
              save_steps: 0
              tensorboard: false
            """, "swenli.yaml");
        var (_, eval) = TrainingRun.ReadData(config);
        var heldOut = TripletEvaluator.FromDataset(eval!);
        var setup = TrainingRun.Build(config) with { Evaluators = [heldOut] };
        double before = heldOut.Accuracy(setup.Model, 64);
        var result = new SentenceTrainer(setup).Run();
        double after = result.FinalMetrics["eval_triplet_accuracy"];
        output.WriteLine($"held-out triplet accuracy on {eval!.Count} rows: untrained {before:F4}, fine-tuned {after:F4} ({sw.Elapsed.TotalSeconds:F1} s)");
        Assert.Equal(400, eval.Count);
        Assert.True(after > before + 0.05, $"accuracy {before:F4} -> {after:F4}");
    }
}
