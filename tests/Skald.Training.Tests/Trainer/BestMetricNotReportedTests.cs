using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Optim;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// The metric that chooses the best model, when no evaluation reports it, is said once (naming it and the metrics that
/// were reported) and the run trains on; the default primary metric was skipped without a word, a named one stopped
/// the run at its first evaluation. A resumed run chooses by the metric its checkpoint recorded unless
/// <c>evaluation.metric_for_best_model</c> names another, which then chooses from the resumed step on.
/// </summary>
public sealed class BestMetricNotReportedTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private static (SentenceTrainer Trainer, List<string> Log) Make(string outDir, IEnumerable<string> set, IEvaluator evaluator)
    {
        var config = ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
            data:
              train: pairs.jsonl
            training:
              batch_size: 8
              max_steps: 20
              logging_steps: 5
            evaluation:
              steps: 5
            output:
              dir: {outDir}
              save_steps: 5
              tensorboard: false
            """, "best.yaml", set);
        var model = new BowModel();
        var log = new List<string>();
        var data = new TextDataset("pairs.jsonl", ["anchor", "positive"], [.. Enumerable.Range(0, 32).Select(i => new[] { $"q{i} topic{i % 4}", $"doc{i} topic{i % 4}" })]);
        return (new SentenceTrainer(new TrainerSetup
        {
            Model = model, Loss = new BowRankingLoss(), Optimizer = new MomentumSgd(model.Parameters), Clip = MomentumSgd.Clip,
            Train = [data], Evaluators = [evaluator], Config = config, Log = log.Add,
        }), log);
    }

    /// <summary>An evaluator whose primary metric (and any <c>eval_partial_*</c>) it names but never reports.</summary>
    private sealed class PartialEvaluator : IEvaluator
    {
        public string Name => "partial";

        public IReadOnlyList<string> MetricNames => ["eval_partial_main", "eval_partial_other"];

        public bool Provides(string metric) => metric.StartsWith("eval_partial_", StringComparison.Ordinal);

        public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize) =>
            new Dictionary<string, double> { ["eval_partial_other"] = 0.5, ["eval_partial_extra"] = 0.25 };
    }

    [Theory]
    [InlineData(null, "the metric that selects it 'eval_partial_main'")]
    [InlineData("eval_partial_typo", "evaluation.metric_for_best_model 'eval_partial_typo'")]
    public void AMetricNeverReportedIsSaidOnceAndTheRunTrainsOn(string? named, string said)
    {
        var (trainer, log) = Make(Path.Combine(dir, named ?? "default"),
            named is null ? ["evaluation.load_best_model_at_end=true"] : [$"evaluation.metric_for_best_model={named}", "evaluation.load_best_model_at_end=true"],
            new PartialEvaluator());
        var result = trainer.Run();
        Assert.Equal(20, result.Steps);
        var lines = log.Where(l => l.StartsWith("the best model is not tracked", StringComparison.Ordinal)).ToList();
        Assert.Equal($"the best model is not tracked: {said} was not reported (reported: eval_partial_other, eval_partial_extra)", Assert.Single(lines));
        Assert.Null(result.BestStep);
        Assert.DoesNotContain(log, l => l.StartsWith("loaded the best model", StringComparison.Ordinal));
    }

    /// <summary>Run 1: steps 5 and 10, chosen by accuracy@1 (0.9 at step 5, recorded in step 10's checkpoint).</summary>
    private string FirstRun(string name)
    {
        string outDir = Path.Combine(dir, name);
        var (first, _) = Make(outDir, ["training.max_steps=10", "evaluation.metric_for_best_model=eval_ranked_accuracy@1"],
            new RankedScriptedEvaluator([0.9, 0.1], [0.1, 0.2]));
        var result = first.Run();
        Assert.Equal<(string?, int?)>(("eval_ranked_accuracy@1", 5), (result.BestMetricName, result.BestStep));
        return outDir;
    }

    [Fact]
    public void AResumedRunKeepsTheRecordedMetricOverTheDefault()
    {
        // The default now would be the primary metric (nDCG@10: 0.7 at step 15); the checkpoint chose by accuracy@1, and
        // its 0.9 at step 5 is beaten by step 20's 0.95.
        string outDir = FirstRun("recorded");
        var (resumed, _) = Make(outDir, [], new RankedScriptedEvaluator([0.5, 0.95], [0.7, 0.6]));
        var result = resumed.Run();
        Assert.EndsWith("step-10", result.ResumedFrom);
        Assert.Equal<(string?, int?, double?)>(("eval_ranked_accuracy@1", 20, 0.95), (result.BestMetricName, result.BestStep, result.BestMetric));
    }

    [Fact]
    public void AResumedRunChoosesByTheMetricTheConfigNamesFromThenOn()
    {
        string outDir = FirstRun("named");
        var (resumed, log) = Make(outDir, ["evaluation.metric_for_best_model=eval_ranked_ndcg@10"], new RankedScriptedEvaluator([0.5, 0.95], [0.7, 0.6]));
        var result = resumed.Run();
        // nDCG@10 from step 10 on: 0.7 at step 15 (not compared with accuracy@1's 0.9, nor ending at step 20's 0.6)
        Assert.Equal<(string?, int?, double?)>(("eval_ranked_ndcg@10", 15, 0.7), (result.BestMetricName, result.BestStep, result.BestMetric));
        Assert.Contains(log, l => l.Contains("chose the best model by eval_ranked_accuracy@1 (step 5, 0.9); evaluation.metric_for_best_model is eval_ranked_ndcg@10 now",
            StringComparison.Ordinal));
    }
}
