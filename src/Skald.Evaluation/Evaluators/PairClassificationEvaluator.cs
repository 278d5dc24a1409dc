using Skald.Evaluation.Data;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// Pair classification (duplicate/paraphrase detection): average precision of the similarity against 0/1 labels, and
/// best-threshold accuracy and F1 (the shared <see cref="PairScorer"/>), for cosine (<c>cosine_*</c>) and for the model's
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
        var pairs = LimitedSample.Take(Datasets.LoadPairs(Task.Path), Task.Limit);
        metadata["pairs"] = Str(pairs.Count);
        return PairScorer.Binary(RequireEmbeddings(model), [.. pairs.Select(p => p.First)], [.. pairs.Select(p => p.Second)],
            [.. pairs.Select(p => (int)p.Score)]);
    }
}
