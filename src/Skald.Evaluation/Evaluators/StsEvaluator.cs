using Skald.Evaluation.Data;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// STS: Spearman and Pearson correlation between gold scores and the cosine similarity of the two embeddings
/// (<c>cosine_spearman</c>, main, as MTEB) and the model's own similarity (<c>spearman</c>, <c>pearson</c>), computed by
/// the shared <see cref="PairScorer"/>.
/// </summary>
/// <remarks>Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/STSEvaluator.py</remarks>
public sealed class StsEvaluator(TaskDefinition task) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "cosine_spearman";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var pairs = LimitedSample.Take(Datasets.LoadSts(Task.Path), Task.Limit);
        var scores = PairScorer.Sts(RequireEmbeddings(model), [.. pairs.Select(p => p.First)], [.. pairs.Select(p => p.Second)],
            [.. pairs.Select(p => p.Score)], out string? undefined);
        metadata["pairs"] = Str(pairs.Count);
        if (undefined is not null) metadata["note"] = undefined;
        return scores;
    }
}
