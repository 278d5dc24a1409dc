using Skald.Evaluation.Models;
using Skald.Models;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Tests.Static;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// Under a Matryoshka loss the evaluators score every width the loss trains (the F journey: a Matryoshka run reported
/// its full width only, so nothing said how its 64-wide vectors did): <c>eval_NAME_dim_N_METRIC</c> beside the full
/// width's own keys, each equal to the metric recomputed here from the saved model's vectors cut to N (an independent
/// path: the inference encoder, a hand-written triplet accuracy), while the best model's default metric stays the full
/// width's and a width's key can be named as metric_for_best_model.
/// </summary>
public sealed class MatryoshkaEvaluationTests
{
    private static readonly StaticFixtures.TopicTask Task = new();

    private static (TrainingResult Result, string[][] Triplets, TextDataset Eval) Train(EvaluationSection evaluation, LossSection loss)
    {
        var (a, p, _) = Task.Sample(128, seed: 7);
        var config = new TrainingConfig
        {
            Model = new ModelSection(StaticFixtures.NewModel(Task.TokenizerJson, 8, seed: 3).Source.Path, Dropout: 0) { Type = "static" },
            Data = new DataSection([]),
            Training = new TrainingSection { BatchSize = 8, MaxSteps = 3, LearningRate = 0.05f, WeightDecay = 0 },
            Loss = loss,
            Evaluation = evaluation,
            Output = new OutputSection { Dir = Path.Combine(StaticFixtures.NewTempDir(), "run"), SaveSteps = 0, Tensorboard = false },
        };
        var train = new TextDataset("pairs", ["anchor", "positive"], [.. a.Take(64).Zip(p.Take(64), (x, y) => new[] { x, y })]);
        string[][] triplets = [.. Enumerable.Range(64, 32).Select(i => new[] { a[i], p[i], p[i < 96 ? i + 32 : i - 32] })];
        var eval = new TextDataset("eval", ["anchor", "positive", "negative"], triplets);
        return (new SentenceTrainer(TrainingRun.Build(config, [train], eval, log: _ => { })).Run(), triplets, eval);
    }

    // The share of triplets whose anchor is closer (cosine) to its positive than to its negative, at width `dim`.
    private static double Accuracy(SentenceEncoder model, string[][] triplets, int dim)
    {
        int right = 0;
        foreach (var t in triplets)
        {
            var v = model.Encode(t).Select(x => x[..dim]).ToArray();
            if (StaticFixtures.Cosine(v[0], v[1]) > StaticFixtures.Cosine(v[0], v[2])) right++;
        }
        return (double)right / triplets.Length;
    }

    [Fact]
    public void EachTrainedWidthIsScoredUnderItsOwnKeysAndTheDefaultsStayFullWidth()
    {
        var (result, triplets, eval) = Train(new EvaluationSection { Steps = 3 }, new LossSection { Type = "matryoshka" });
        var m = result.FinalMetrics;
        using var saved = SentenceEncoder.Load(result.ModelPath);
        Assert.Equal(Accuracy(saved, triplets, 8), m["eval_triplet_accuracy"], 10); // the reference agrees at full width
        foreach (int dim in new[] { 4, 2, 1 }) // the loss's default widths below 8: its halves down to an eighth
        {
            // (at width 1 every cosine is ±1: ties that float rounding breaks either way, so no reference there)
            if (dim > 1) Assert.Equal(Accuracy(saved, triplets, dim), m[$"eval_triplet_dim_{dim}_accuracy"], 10);
            Assert.Contains($"eval_triplet_dim_{dim}_accuracy", m.Keys);
            Assert.Contains($"eval_pairs_dim_{dim}_ndcg@10", m.Keys); // the in-set retrieval's too
        }
        Assert.DoesNotContain("eval_triplet_dim_8_accuracy", m.Keys); // the full width keeps its plain keys
        // the in-set retrieval at width 4 as skald evaluate --truncate-dim 4 scores the saved model on the same rows
        using var cut = EvaluationEmbeddingModel.Load(result.ModelPath, new EvaluationEmbeddingOptions { TruncateDim = 4 });
        var data = Skald.Training.Evaluation.RetrievalEvaluator.FromPairs(eval).Data;
        Assert.Equal(RetrievalScorer.ScoreInformationRetrieval(EmbeddingRetriever.For(cut), data)["ndcg@10"], m["eval_pairs_dim_4_ndcg@10"], 6);
        Assert.Equal(m["eval_pairs_ndcg@10"], m["eval_sequential_score"]); // the last evaluator's primary metric, full width
    }

    [Fact]
    public void AWidthsKeyCanChooseTheBestModelAndGivenDimsAreThoseScored()
    {
        var (result, _, _) = Train(new EvaluationSection { Steps = 3, MetricForBestModel = "eval_triplet_dim_2_accuracy" },
            new LossSection { Type = "matryoshka", MatryoshkaDims = [8, 2] });
        Assert.Equal("eval_triplet_dim_2_accuracy", result.BestMetricName);
        Assert.Contains("eval_triplet_dim_2_accuracy", result.FinalMetrics.Keys);
        Assert.DoesNotContain(result.FinalMetrics.Keys, k => k.Contains("_dim_4_", StringComparison.Ordinal) || k.Contains("_dim_1_", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutAMatryoshkaLossOnlyTheFullWidthIsScored()
    {
        var (result, _, _) = Train(new EvaluationSection { Steps = 3 }, new LossSection { Type = "mnrl" });
        Assert.DoesNotContain(result.FinalMetrics.Keys, k => k.Contains("_dim_", StringComparison.Ordinal));
    }

    // An evaluation.tasks task answers for any eval_TASK_ key (which metrics it reports is known once it ran): wrapped
    // under a Matryoshka loss, a key of a width the loss does not train must not pass the start-up check as its own.
    [Fact]
    public void OnlyATrainedWidthsKeyIsProvided()
    {
        var wrapped = Assert.Single(MatryoshkaEvaluator.Wrap([new AnyKeyOfItsTask()], [8, 4, 2], 8));
        Assert.True(wrapped.Provides("eval_task_ndcg@10"));
        Assert.True(wrapped.Provides("eval_task_dim_4_ndcg@10"));
        Assert.True(wrapped.Provides("eval_task_dim_2_map"));
        Assert.False(wrapped.Provides("eval_task_dim_64_ndcg@10")); // not a trained width
        Assert.False(wrapped.Provides("eval_task_dim_8_ndcg@10")); // the full width keeps its plain keys
        Assert.False(wrapped.Provides("eval_other_dim_4_ndcg@10"));
    }

    private sealed class AnyKeyOfItsTask : IEmbeddingEvaluator
    {
        public string Name => "task";

        public IReadOnlyList<string> MetricNames => ["eval_task_ndcg@10"];

        public bool Provides(string metric) => metric.StartsWith("eval_task_", StringComparison.Ordinal);

        public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize) => throw new NotSupportedException();

        public IReadOnlyDictionary<string, double> Evaluate(TrainingEmbeddingModel embeddings) => throw new NotSupportedException();
    }
}
