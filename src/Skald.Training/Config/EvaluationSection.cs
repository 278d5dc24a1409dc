namespace Skald.Training.Config;

/// <summary><c>evaluation</c>: evaluators and best-model selection.</summary>
public sealed record EvaluationSection
{
    /// <summary>Evaluate every N steps (0: only at the end).</summary>
    public int Steps { get; init; }

    /// <summary>A BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) for retrieval metrics, or null.</summary>
    public string? Retrieval { get; init; }

    /// <summary>Cap on retrieval queries (null: all).</summary>
    public int? RetrievalMaxQueries { get; init; }

    /// <summary>
    /// Task files or folders <c>skald evaluate --task</c> reads (retrieval, STS, pairs, triplets, classification,
    /// clustering, bitext, paraphrase mining; mse with a teacher, <see cref="TaskEntries"/>), each scored at every evaluation;
    /// metrics <c>eval_TASK_METRIC</c>.
    /// </summary>
    public IReadOnlyList<string> Tasks { get; init; } = [];

    /// <summary>
    /// The options of each <see cref="Tasks"/> entry given as a mapping <c>{path: TASK, ...}</c>, by task path: an mse
    /// task's teacher and truncation width, a paraphrase-mining task's transitive closure (<see cref="EvaluationTaskEntry"/>).
    /// </summary>
    public IReadOnlyDictionary<string, EvaluationTaskEntry> TaskEntries { get; init; } = new Dictionary<string, EvaluationTaskEntry>();

    /// <summary>Examples per evaluation task (queries for retrieval); null: all.</summary>
    public int? TaskLimit { get; init; }

    /// <summary>
    /// Metric that selects the best model (e.g. <c>eval_triplet_accuracy</c>, or <c>eval_sequential_score</c> with
    /// several evaluators); a name without the <c>eval_</c> prefix gets it, as transformers' Trainer does
    /// (<c>sequential_score</c>); null: <c>eval_loss</c> when it is computed (loss.type causal_lm), as transformers'
    /// default, else the evaluator's primary metric (sentence-transformers' <c>primary_metric</c>, e.g.
    /// <c>eval_retrieval_ndcg@10</c>), or <c>eval_sequential_score</c> with several evaluators.
    /// </summary>
    public string? MetricForBestModel
    {
        get => metricForBestModel;
        init => metricForBestModel = value is null || value.StartsWith("eval_", StringComparison.Ordinal) ? value : "eval_" + value;
    }

    private readonly string? metricForBestModel;

    /// <summary>
    /// Whether a larger value of the metric is better; null (the default): as transformers decides, smaller for a metric
    /// whose name ends in <c>loss</c> (<c>eval_loss</c>), else larger (<see cref="IsGreaterBetter"/>).
    /// </summary>
    public bool? GreaterIsBetter { get; init; }

    /// <summary>Whether a larger value of <paramref name="metric"/> is better: <see cref="GreaterIsBetter"/>, or by its name.</summary>
    public bool IsGreaterBetter(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return GreaterIsBetter ?? !metric.EndsWith("loss", StringComparison.Ordinal);
    }

    /// <summary>Save the best evaluated weights as the final model.</summary>
    public bool LoadBestModelAtEnd { get; init; }

    /// <summary>
    /// <c>evaluation.cross_encoder</c>: which evaluator scores a cross-encoder's eval rows. <c>auto</c> (the default) as
    /// before: a multi-label model by classification, one-label scored pairs whose first texts never repeat by
    /// correlation, anything else by reranking; <c>classification</c> sentence-transformers'
    /// CrossEncoderClassificationEvaluator (a one-label model: its binary path over 0/1 labels); <c>correlation</c> or
    /// <c>reranking</c> that evaluator whatever the rows look like.
    /// </summary>
    public string CrossEncoder { get; init; } = "auto";

    /// <summary>Batch size for evaluation encodes.</summary>
    public int BatchSize { get; init; } = 64;
}
