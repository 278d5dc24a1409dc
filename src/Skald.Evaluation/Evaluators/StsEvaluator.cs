using Skald.Evaluation.Data;
using Skald.Retrieval.Data;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// STS: Spearman and Pearson correlation between gold scores and the cosine similarity of the two embeddings
/// (<c>cosine_spearman</c>, main, as MTEB) and the model's own similarity (<c>spearman</c>, <c>pearson</c>).
/// </summary>
/// <remarks>Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/STSEvaluator.py</remarks>
public sealed class StsEvaluator(TaskDefinition task) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "cosine_spearman";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var pairs = Datasets.LoadSts(Task.Path, Task.Limit);
        var gold = pairs.Select(p => p.Score).ToArray();
        var (cos, own) = PairScoring.Score(RequireEmbeddings(model), [.. pairs.Select(p => p.First)], [.. pairs.Select(p => p.Second)]);
        metadata["pairs"] = Str(pairs.Count);
        if (Correlation.Undefined(gold, cos) is { } why) metadata["note"] = why;
        return new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["cosine_spearman"] = Correlation.Spearman(gold, cos),
            ["cosine_pearson"] = Correlation.Pearson(gold, cos),
            ["spearman"] = Correlation.Spearman(gold, own),
            ["pearson"] = Correlation.Pearson(gold, own),
        };
    }
}
