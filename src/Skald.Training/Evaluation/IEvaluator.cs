namespace Skald.Training.Evaluation;

/// <summary>Something that scores a model during training; metric keys start with <c>eval_</c>.</summary>
public interface IEvaluator
{
    /// <summary>Short name used in metric keys.</summary>
    string Name { get; }

    /// <summary>
    /// The task as sentence-transformers' evaluator of the same kind describes it (its class name in words, e.g.
    /// "Information Retrieval"), which names the results in a model card's model-index; null leaves them out of it.
    /// </summary>
    string? Task => null;

    /// <summary>The keys <see cref="Evaluate"/> returns.</summary>
    IReadOnlyList<string> MetricNames { get; }

    /// <summary>Whether <see cref="Evaluate"/> reports <paramref name="metric"/> (by default: it is one of <see cref="MetricNames"/>).</summary>
    bool Provides(string metric) => MetricNames.Contains(metric);

    /// <summary>Computes metrics with the model's current weights (inference mode).</summary>
    IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize);
}
