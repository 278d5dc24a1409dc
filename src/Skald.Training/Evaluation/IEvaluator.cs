namespace Skald.Training.Evaluation;

/// <summary>Something that scores a model during training; metric keys start with <c>eval_</c>.</summary>
public interface IEvaluator
{
    /// <summary>Short name used in metric keys.</summary>
    string Name { get; }

    /// <summary>The keys <see cref="Evaluate"/> returns.</summary>
    IReadOnlyList<string> MetricNames { get; }

    /// <summary>Computes metrics with the model's current weights (inference mode).</summary>
    IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize);
}
