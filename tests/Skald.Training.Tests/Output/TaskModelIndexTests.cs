using Skald.Evaluation.Data;
using Skald.Models;
using Skald.Training.Evaluation;
using Skald.Training.Modeling;
using Skald.Training.Output;
using Skald.Training.Tests.Evaluation;

namespace Skald.Training.Tests.Output;

/// <summary>
/// An <c>evaluation.tasks</c> task's results in a model card's model-index are every metric the task reported, as
/// sentence-transformers' card lists every metric an evaluator returned (model_card.py's format_eval_metrics); the
/// task's main metric alone was listed. The metrics expected are those <c>skald evaluate</c>'s evaluator of the task
/// reports for the saved model, not the training evaluator's own list.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/004c6bc6699dbf8c9dd5c396d8843d6df0140ef2/sentence_transformers/model_card.py (format_eval_metrics)</remarks>
public sealed class TaskModelIndexTests
{
    [Fact]
    public void EveryMetricOfATaskIsInTheModelIndex()
    {
        string sts = EvaluatorParityTests.StsMini(TestPaths.NewTempDir());
        string folder = TestPaths.FixtureModel("bert-cased-mean");
        var evaluator = new TaskFileEvaluator(sts);
        Assert.Equal(["eval_sts-mini_cosine_spearman"], evaluator.MetricNames); // before it ran: the main metric
        var during = evaluator.Evaluate(TrainableEncoder.Load(folder), 8);
        var printed = new Skald.Evaluation.Evaluators.StsEvaluator(TaskDefinition.FromPath(sts))
            .Evaluate(EvaluatorParityTests.SkaldEvaluateModel(SentenceEncoder.Load(folder), folder));
        Assert.True(printed.Metrics.Count >= 4, string.Join(", ", printed.Metrics.Keys)); // spearman and pearson, cosine and the model's own

        string yaml = ModelIndex.Yaml("m", [evaluator], during)!.ReplaceLineEndings("\n");
        var listed = yaml.Split('\n').Where(l => l.StartsWith("    - type: ", StringComparison.Ordinal)).Select(l => l[12..].Trim('"')).ToList();
        Assert.Equal(printed.Metrics.Keys.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Contains("    - type: \"cosine_pearson\"\n      value: ", yaml);
        Assert.Contains("      name: \"Cosine Pearson\"\n", yaml);
        Assert.Equal("eval_sts-mini_cosine_spearman", ((IEvaluator)evaluator).PrimaryMetric); // what selects the best model stays the main metric
    }
}
