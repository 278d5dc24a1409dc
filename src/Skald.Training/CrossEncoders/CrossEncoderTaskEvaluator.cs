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
/// stage's <c>eval_TASK_base_*</c> when the task's rows are a first stage's ranked <c>documents</c>. A retrieval folder
/// (corpus, queries, qrels; no candidates) is one dataset of sentence-transformers' CrossEncoderNanoBEIREvaluator: each
/// query's first <c>rerank_k</c> (100) BM25 documents are its <c>documents</c> (<see cref="CrossEncoderNanoBeirEvaluator.FirstStage"/>),
/// <c>base_*</c> BM25's own scores. The entry's <c>at_k</c>, <c>always_rerank_positives</c> and <c>rerank_k</c> are upstream's arguments.
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
            bool retrieval = task.Kind == TaskKind.Retrieval && Directory.Exists(path);
            if (task.Kind != TaskKind.Reranking && !retrieval)
                throw new TrainingException($"evaluation.tasks: {path}: a {task.TypeName} task; a cross-encoder is evaluated during training on " +
                    "reranking tasks (query, positive and negative or a first stage's documents), as sentence-transformers' CrossEncoderRerankingEvaluator, " +
                    "and on retrieval folders (BM25's first rerank_k documents reranked, as its CrossEncoderNanoBEIREvaluator)");
            if (entry?.RerankK is not null && !retrieval)
                throw new TrainingException($"evaluation.tasks: {path}: rerank_k applies to a retrieval folder (BM25's candidates); this reranking task lists its own");
            Name = TaskFileEvaluator.KeyName(task.Name);
            var samples = retrieval ? CrossEncoderNanoBeirEvaluator.FirstStage(NanoBeirData.FromTask(task), entry?.RerankK ?? DefaultRerankK)
                : CrossEncoderRerankingEvaluator.LoadSamples(path, limit);
            evaluator = new CrossEncoderRerankingEvaluator(samples, atK, entry?.AlwaysRerankPositives ?? true);
        }
        catch (Exception e) when (e is EvaluationException or IOException)
        {
            throw new TrainingException($"evaluation.tasks: {TaskFileEvaluator.Located(path, e.Message)}", e);
        }
    }

    /// <summary>The BM25 documents reranked per query of a retrieval folder without <c>rerank_k</c> (upstream's default).</summary>
    public const int DefaultRerankK = 100;

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
