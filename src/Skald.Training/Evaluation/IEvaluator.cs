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

    /// <summary>
    /// The metric sentence-transformers' evaluator of the kind names its <c>primary_metric</c> (by default the first of
    /// <see cref="MetricNames"/>); with several evaluators the last one's is <c>eval_sequential_score</c>
    /// (<see cref="Skald.Evaluation.Evaluators.SequentialEvaluator"/>).
    /// </summary>
    string PrimaryMetric => MetricNames[0];

    /// <summary>
    /// The keys <see cref="Evaluate"/> adds for a sparse encoder (SPLADE, CSR), in the order upstream's Sparse*Evaluator
    /// adds them after its other metrics: <c>active_dims</c>, <c>sparsity_ratio</c> (<c>avg_flops</c> for retrieval),
    /// named without a similarity function. A model card's model-index lists them after <see cref="MetricNames"/>, as
    /// sentence-transformers' lists every metric an evaluator returned; none by default.
    /// </summary>
    IReadOnlyList<string> SparsityMetricNames => [];

    /// <summary>
    /// Whether <see cref="Evaluate"/> reports <paramref name="metric"/> (by default: it is one of <see cref="MetricNames"/>
    /// or <see cref="SparsityMetricNames"/>).
    /// </summary>
    bool Provides(string metric) => MetricNames.Contains(metric) || SparsityMetricNames.Contains(metric);

    /// <summary>Computes metrics with the model's current weights (inference mode).</summary>
    IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize);
}
