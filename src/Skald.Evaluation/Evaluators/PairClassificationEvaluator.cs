using Skald.Evaluation.Data;
using Skald.Retrieval.Data;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// Pair classification (duplicate/paraphrase detection): average precision of the similarity against 0/1 labels, and
/// best-threshold accuracy and F1 (<see cref="BinaryMetrics"/>), for cosine (<c>cosine_*</c>) and for the model's
/// similarity (<c>ap</c>, main; <c>accuracy</c>, <c>f1</c>, <c>precision</c>, <c>recall</c>).
/// </summary>
/// <remarks>Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/PairClassificationEvaluator.py</remarks>
public sealed class PairClassificationEvaluator(TaskDefinition task) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "ap";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var pairs = Datasets.LoadPairs(Task.Path, Task.Limit);
        var labels = pairs.Select(p => (int)p.Score).ToArray();
        var (cos, own) = PairScoring.Score(RequireEmbeddings(model), [.. pairs.Select(p => p.First)], [.. pairs.Select(p => p.Second)]);
        metadata["pairs"] = Str(pairs.Count);
        var m = new SortedDictionary<string, double>(StringComparer.Ordinal);
        Add(m, "cosine_", cos, labels);
        Add(m, "", own, labels);
        return m;
    }

    /// <summary>Adds ap, accuracy(+threshold), f1(+threshold, precision, recall) with a prefix.</summary>
    internal static void Add(IDictionary<string, double> m, string prefix, IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        var acc = BinaryMetrics.BestAccuracy(scores, labels);
        var f1 = BinaryMetrics.BestF1(scores, labels);
        m[prefix + "ap"] = BinaryMetrics.AveragePrecision(scores, labels);
        m[prefix + "accuracy"] = acc.Value;
        m[prefix + "accuracy_threshold"] = acc.Threshold;
        m[prefix + "f1"] = f1.Value;
        m[prefix + "f1_threshold"] = f1.Threshold;
        m[prefix + "precision"] = f1.Precision;
        m[prefix + "recall"] = f1.Recall;
    }
}
