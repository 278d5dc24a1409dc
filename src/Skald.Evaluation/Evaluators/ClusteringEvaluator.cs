using Skald.Evaluation.Data;
using Skald.Evaluation.Learning;
using Skald.Retrieval.Data;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// Clustering: k-means (k = number of distinct labels, k-means++ with restarts) on the embeddings of labelled texts
/// (a classification folder's test.jsonl, or a JSONL file); <c>v_measure</c> (main), homogeneity, completeness.
/// </summary>
/// <remarks>Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/ClusteringEvaluator.py</remarks>
public sealed class ClusteringEvaluator(TaskDefinition task, KMeansOptions? options = null) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "v_measure";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        string file = Directory.Exists(Task.Path) ? DataFiles.InFolder(Task.Path, "test") : Task.Path;
        var items = LimitedSample.Take(Datasets.LoadLabelled(file), Task.Limit);
        var labels = items.Select(t => t.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var emb = RequireEmbeddings(model).Embed([.. items.Select(t => t.Text)], TextRole.Text);
        var (assign, _) = KMeans.Fit(emb, labels.Count, options);
        var (h, c, v) = ClusteringMetrics.Scores([.. items.Select(t => index[t.Label])], assign);
        metadata["texts"] = Str(items.Count);
        metadata["clusters"] = Str(labels.Count);
        return new SortedDictionary<string, double>(StringComparer.Ordinal) { ["v_measure"] = v, ["homogeneity"] = h, ["completeness"] = c };
    }
}
