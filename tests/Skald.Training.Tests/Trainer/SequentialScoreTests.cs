using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Tests.Static;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// Several evaluators during training behave as sentence-transformers' trainer with an evaluator list (a
/// SequentialEvaluator): their metrics plus <c>eval_sequential_score</c>, the last evaluator's primary metric (here
/// the in-set retrieval's nDCG@10 after the triplet accuracy), which <c>metric_for_best_model</c> can name with or
/// without transformers' <c>eval_</c> prefix and load_best_model_at_end then keeps; a softmax run's labelled eval pairs
/// are also scored by its classifier (LabelAccuracyEvaluator), the last evaluator.
/// </summary>
public sealed class SequentialScoreTests
{
    private static readonly StaticFixtures.TopicTask Task = new();

    private static TrainingResult Train(EvaluationSection evaluation, bool softmax = false)
    {
        var (a, p, _) = Task.Sample(64, seed: 5);
        var config = new TrainingConfig
        {
            Model = new ModelSection(StaticFixtures.NewModel(Task.TokenizerJson, 8, seed: 3).Source.Path, Dropout: 0) { Type = "static" },
            Data = new DataSection([]),
            Training = new TrainingSection { BatchSize = 8, MaxSteps = 4, LearningRate = 0.1f, WeightDecay = 0 },
            Loss = softmax ? new LossSection { Type = "softmax", NumLabels = 3 } : new LossSection { Type = "mnrl" },
            Evaluation = evaluation,
            Output = new OutputSection { Dir = Path.Combine(StaticFixtures.NewTempDir(), "run"), SaveSteps = 0, Tensorboard = false },
        };
        var train = new TextDataset("pairs", ["anchor", "positive"], [.. a.Zip(p, (x, y) => new[] { x, y })],
            softmax ? [.. Enumerable.Range(0, a.Length).Select(i => (float)(i % 3))] : null);
        var eval = softmax
            ? new TextDataset("eval", ["premise", "hypothesis"], [.. Enumerable.Range(0, 9).Select(i => new[] { a[i], p[i] })], [.. Enumerable.Range(0, 9).Select(i => (float)(i % 3))])
            : new TextDataset("eval", ["anchor", "positive", "negative"], [.. Enumerable.Range(0, 8).Select(i => new[] { a[i], p[i], p[i + 8] })]);
        return new SentenceTrainer(TrainingRun.Build(config, [train], eval, log: _ => { })).Run();
    }

    [Fact]
    public void TheSequentialScoreIsTheLastEvaluatorsPrimaryMetricAndSelectsTheBestModel()
    {
        var result = Train(new EvaluationSection { Steps = 2, MetricForBestModel = "sequential_score", LoadBestModelAtEnd = true });
        Assert.Equal(result.FinalMetrics["eval_pairs_ndcg@10"], result.FinalMetrics["eval_sequential_score"]);
        Assert.NotEqual(result.FinalMetrics["eval_triplet_accuracy"], result.FinalMetrics["eval_sequential_score"]); // the first evaluator's is not it
        Assert.Equal("eval_sequential_score", result.BestMetricName);
        Assert.Equal(result.BestMetric, result.FinalMetrics["eval_sequential_score"]);
    }

    [Fact]
    public void ASoftmaxRunScoresItsClassifierOnLabelledEvalPairsLast()
    {
        var result = Train(new EvaluationSection { Steps = 2 }, softmax: true);
        double accuracy = result.FinalMetrics["eval_softmax_accuracy"]; // LabelAccuracyEvaluator, after the STS correlations of the same rows
        Assert.Equal(accuracy, result.FinalMetrics["eval_sequential_score"]);
        Assert.Contains("eval_sts_cosine_spearman", result.FinalMetrics.Keys);
    }
}
