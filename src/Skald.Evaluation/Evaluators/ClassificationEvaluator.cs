using Skald.Evaluation.Data;
using Skald.Evaluation.Learning;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// Classification by a linear probe on frozen embeddings: <see cref="LogisticRegression"/> (sklearn's defaults, as
/// MTEB) fitted on train.jsonl, scored on test.jsonl: <c>accuracy</c> (main), <c>f1</c> (macro), <c>f1_weighted</c>.
/// MTEB averages 10 fits on re-sampled training sets; Skald fits once on the full training split, deterministically.
/// </summary>
/// <remarks>Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/ClassificationEvaluator.py</remarks>
public sealed class ClassificationEvaluator(TaskDefinition task, LogisticRegressionOptions? options = null) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "accuracy";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        string trainPath = DataFiles.InFolder(Task.Path, "train");
        var train = LimitedSample.Take(Datasets.LoadLabelled(trainPath), Task.Limit);
        var test = LimitedSample.Take(Datasets.LoadLabelled(DataFiles.InFolder(Task.Path, "test")), Task.Limit);
        var labels = train.Select(t => t.Label).Concat(test.Select(t => t.Label)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (train.Select(t => t.Label).Distinct().Count() < 2) throw new EvaluationException($"{trainPath}: needs at least two labels");
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var emb = RequireEmbeddings(model);
        var all = emb.Embed([.. train.Select(t => t.Text), .. test.Select(t => t.Text)], TextRole.Text);
        var lr = LogisticRegression.Fit(all[..train.Count], [.. train.Select(t => index[t.Label])], labels.Count, options);
        var truth = test.Select(t => index[t.Label]).ToArray();
        var predicted = lr.Predict(all[train.Count..]);
        metadata["train"] = Str(train.Count);
        metadata["test"] = Str(test.Count);
        metadata["labels"] = Str(labels.Count);
        metadata["lbfgs_iterations"] = Str(lr.Iterations);
        return new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = ClassificationMetrics.Accuracy(truth, predicted),
            ["f1"] = ClassificationMetrics.MacroF1(truth, predicted),
            ["f1_weighted"] = ClassificationMetrics.WeightedF1(truth, predicted),
        };
    }
}
