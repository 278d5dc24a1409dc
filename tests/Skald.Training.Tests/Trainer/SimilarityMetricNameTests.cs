using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Tests.Static;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// metric_for_best_model names a non-cosine model's metrics as upstream names them: a dot model trained on scored pairs
/// is selected by <c>eval_sts_spearman_dot</c> (its primary metric, upstream's <c>spearman_dot</c>), the cosine
/// correlation keeps its old key, and the bare key a cosine model has is refused before training in one line that
/// names the dot one.
/// </summary>
public sealed class SimilarityMetricNameTests
{
    private static readonly StaticFixtures.TopicTask Task = new();

    /// <summary>A static model whose folder names the dot product its similarity.</summary>
    private static readonly string DotModel = WithSimilarity(StaticFixtures.NewModel(Task.TokenizerJson, 8, seed: 3).Source.Path, "dot");

    private static string WithSimilarity(string folder, string similarity)
    {
        string st = Path.Combine(folder, "config_sentence_transformers.json");
        string text = File.ReadAllText(st);
        Assert.Contains("\"cosine\"", text, StringComparison.Ordinal);
        File.WriteAllText(st, text.Replace("\"cosine\"", $"\"{similarity}\"", StringComparison.Ordinal));
        return folder;
    }

    private static TrainingConfig Config(string dir, string metric) => new()
    {
        Model = new ModelSection(DotModel, Dropout: 0) { Type = "static" },
        Data = new DataSection([]),
        Training = new TrainingSection { BatchSize = 8, MaxSteps = 2, LearningRate = 0.01f, WeightDecay = 0 },
        Loss = new LossSection { Type = "mnrl" },
        Evaluation = new EvaluationSection { MetricForBestModel = metric, Steps = 1 },
        Output = new OutputSection { Dir = dir, SaveSteps = 2, Tensorboard = false },
    };

    private static TextDataset Train()
    {
        var (a, p, _) = Task.Sample(32, seed: 5);
        return new TextDataset("pairs", ["anchor", "positive"], [.. a.Zip(p, (x, y) => new[] { x, y })]);
    }

    private static TextDataset Scored() => new("eval", ["sentence1", "sentence2"],
        [.. Enumerable.Range(0, 8).Select(i => new[] { Task.Words[i], Task.Words[i + (i % 2 == 0 ? 1 : 8)] })],
        [.. Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? 0.9f - 0.01f * i : 0.1f + 0.01f * i)]);

    [Theory]
    [InlineData("eval_sts_spearman_dot")]
    [InlineData("eval_sts_cosine_spearman")]
    public void ADotModelIsSelectedByItsOwnSpearmanOrTheCosineOne(string metric)
    {
        string dir = Path.Combine(StaticFixtures.NewTempDir(), "run");
        var result = new SentenceTrainer(TrainingRun.Build(Config(dir, metric), [Train()], Scored())).Run();
        Assert.Equal(metric, result.BestMetricName);
        Assert.True(double.IsFinite(result.BestMetric ?? double.NaN));
    }

    [Fact]
    public void TheCosineModelsBareKeyIsRefusedNamingTheDotOne()
    {
        string dir = Path.Combine(StaticFixtures.NewTempDir(), "run");
        var run = TrainingRun.Build(Config(dir, "eval_sts_spearman"), [Train()], Scored());
        Assert.Equal("eval_sts_spearman_dot", Assert.Single(run.Evaluators).PrimaryMetric);
        var e = Assert.Throws<TrainingException>(() => new SentenceTrainer(run).Run());
        Assert.StartsWith("evaluation.metric_for_best_model 'eval_sts_spearman' is not among the metrics", e.Message);
        Assert.Contains("eval_sts_spearman_dot", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "checkpoints")));
    }
}
