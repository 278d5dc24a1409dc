using Skald.Evaluation.Data;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// Triplets: accuracy = fraction of triplets where sim(anchor, positive) &gt; sim(anchor, negative) (strictly, as
/// sentence-transformers' TripletEvaluator; by more than the task's <see cref="TaskDefinition.Margin"/>, upstream's
/// <c>margin</c>, when it has one), with the model's similarity (<c>accuracy</c>, main) and cosine; computed
/// by <see cref="TripletScorer"/>, the code that evaluation during training runs too.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/evaluation/TripletEvaluator.py</remarks>
public sealed class TripletEvaluator(TaskDefinition task) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "accuracy";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var triplets = Datasets.LoadTriplets(Task.Path, Task.Limit);
        var metrics = TripletScorer.Score(RequireEmbeddings(model), triplets, Task.Margin);
        metadata["triplets"] = Str(triplets.Count);
        if (Task.Margin != 0) metadata["margin"] = Task.Margin.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return metrics;
    }
}
