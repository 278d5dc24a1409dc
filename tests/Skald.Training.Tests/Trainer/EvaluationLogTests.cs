using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Tests.Static;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// Evaluations during training are told as they happen (transformers' Trainer prints each evaluation's metrics), not
/// only written to metrics.jsonl: the console of a run showed the loss and, at the very end, the last evaluation alone.
/// </summary>
public sealed class EvaluationLogTests
{
    private static readonly StaticFixtures.TopicTask Task = new();

    [Fact]
    public void EachEvaluationBeforeTheEndIsLogged()
    {
        var (a, p, _) = Task.Sample(64, seed: 5);
        var config = new TrainingConfig
        {
            Model = new ModelSection(StaticFixtures.NewModel(Task.TokenizerJson, 8, seed: 3).Source.Path, Dropout: 0) { Type = "static" },
            Data = new DataSection([]),
            Training = new TrainingSection { BatchSize = 8, MaxSteps = 4, LearningRate = 0.1f, WeightDecay = 0 },
            Loss = new LossSection { Type = "mnrl" },
            Evaluation = new EvaluationSection { Steps = 2 },
            Output = new OutputSection { Dir = Path.Combine(StaticFixtures.NewTempDir(), "run"), SaveSteps = 0, Tensorboard = false },
        };
        var train = new TextDataset("pairs", ["anchor", "positive"], [.. a.Zip(p, (x, y) => new[] { x, y })]);
        var eval = new TextDataset("eval", ["anchor", "positive", "negative"],
            [.. Enumerable.Range(0, 8).Select(i => new[] { a[i], p[i], p[i + 8] })]);
        var log = new List<string>();
        var result = new SentenceTrainer(TrainingRun.Build(config, [train], eval, log: log.Add)).Run();
        string line = Assert.Single(log, l => l.StartsWith("eval at step ", StringComparison.Ordinal)); // step 4's is the final result's
        Assert.StartsWith("eval at step 2: eval_triplet_accuracy ", line);
        Assert.Contains(", eval_pairs_ndcg@10 ", line);
        Assert.Equal(4, result.Steps);
    }
}
