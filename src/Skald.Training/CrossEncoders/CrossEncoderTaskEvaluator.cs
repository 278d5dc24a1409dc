using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval;
using Skald.Training.Config;
using Skald.Training.Evaluation;
using Skald.Training.Losses;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// A reranking task (<c>evaluation.tasks</c> under a cross-encoder loss: any file or folder <c>skald evaluate --type
/// reranking</c> reads) scored by the cross-encoder being trained, as sentence-transformers' CrossEncoderTrainer runs a
/// CrossEncoderRerankingEvaluator named after the task (<see cref="CrossEncoderRerankingEvaluator"/>):
/// <c>eval_TASK_ndcg@10</c> (its primary metric), <c>eval_TASK_mrr@10</c>, <c>eval_TASK_map</c>, and the first
/// stage's <c>eval_TASK_base_*</c> when the task's rows are a first stage's ranked <c>documents</c>. The entry's
/// <c>at_k</c> and <c>always_rerank_positives</c> are upstream's arguments.
/// </summary>
public sealed class CrossEncoderTaskEvaluator : IEvaluator
{
    private readonly CrossEncoderLoss loss;
    private readonly CrossEncoderRerankingEvaluator evaluator;
    private readonly int atK;

    /// <summary>
    /// The reranking task at <paramref name="path"/> (at most <paramref name="limit"/> queries) for <paramref name="loss"/>'s
    /// model, with <paramref name="entry"/>'s options; a task of another kind, or one that cannot be read, is one line naming the file.
    /// </summary>
    public CrossEncoderTaskEvaluator(CrossEncoderLoss loss, string path, int? limit = null, EvaluationTaskEntry? entry = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(path);
        this.loss = loss;
        atK = entry?.AtK ?? 10;
        try
        {
            var task = TaskDefinition.FromPath(path, limit: limit);
            if (task.Kind != TaskKind.Reranking)
                throw new TrainingException($"evaluation.tasks: {path}: a {task.TypeName} task; a cross-encoder is evaluated during training on " +
                    "reranking tasks (query, positive and negative or a first stage's documents), as sentence-transformers' CrossEncoderRerankingEvaluator");
            Name = TaskFileEvaluator.KeyName(task.Name);
            evaluator = new CrossEncoderRerankingEvaluator(CrossEncoderRerankingEvaluator.LoadSamples(path, limit), atK, entry?.AlwaysRerankPositives ?? true);
        }
        catch (Exception e) when (e is EvaluationException or IOException)
        {
            throw new TrainingException($"evaluation.tasks: {TaskFileEvaluator.Located(path, e.Message)}", e);
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string? Task => "Cross Encoder Reranking";

    /// <inheritdoc />
    /// <remarks>nDCG@k first, upstream's primary metric; the <c>base_</c> three too for a first stage's documents.</remarks>
    public IReadOnlyList<string> MetricNames =>
    [
        .. (evaluator.Samples.All(s => s.Documents is not null) ? new[] { "", "base_" } : [""])
            .SelectMany(prefix => new[] { $"eval_{Name}_{prefix}ndcg@{atK}", $"eval_{Name}_{prefix}mrr@{atK}", $"eval_{Name}_{prefix}map" }),
    ];

    /// <summary>Queries evaluated.</summary>
    public int QueryCount => evaluator.Samples.Count;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        var metrics = evaluator.Evaluate(pairs => loss.Scores(encoder, pairs, batchSize));
        return metrics.ToDictionary(kv => $"eval_{Name}_{kv.Key}", kv => kv.Value);
    }
}
