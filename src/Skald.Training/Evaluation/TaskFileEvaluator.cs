using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Retrieval;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;
using Skald.Training.Config;

namespace Skald.Training.Evaluation;

/// <summary>
/// Any task <c>skald evaluate --task</c> reads (a BEIR folder, an STS or pair TSV, triplets, a classification or
/// clustering set, bitext, paraphrase mining), scored during training by the same <see cref="TaskEvaluator"/> with the current weights (a
/// ColBERT's retrieval and reranking tasks by exact MaxSim, <see cref="LateInteractionRetriever"/>)
/// (<c>evaluation.tasks</c>): every metric of the task's result as <c>eval_TASK_METRIC</c> (e.g.
/// <c>eval_xquad-nb_ndcg_at_10</c>), so the best model can be chosen by any of them. Disposing it releases an mse task's
/// teacher that has not embedded the sources yet (the setup's <see cref="Trainer.TrainerSetup.Dispose"/> does).
/// </summary>
public sealed class TaskFileEvaluator : IEmbeddingEvaluator, IDisposable
{
    private readonly TaskEvaluator inner;
    private EvaluationEmbeddingModel? teacher; // an mse task's, until its sources are embedded (the first evaluation)
    private readonly int? truncateDim; // an mse task's width of both sides

    /// <summary>
    /// The task at <paramref name="path"/> (its kind inferred as <c>skald evaluate</c> does), at most <paramref name="limit"/>
    /// examples; for a ColBERT being trained (<paramref name="lateInteraction"/>) a retrieval or reranking task, which it
    /// scores by exact MaxSim as <c>skald evaluate</c> scores a ColBERT folder (any other kind is one line naming the file).
    /// With an <paramref name="entry"/>'s teacher the task is an mse task (<see cref="MseEvaluator"/>, metrics
    /// <c>eval_TASK_negative_mse</c> and <c>eval_TASK_mse</c>): the teacher embeds its sources once, at the first
    /// evaluation, and is released then, both sides cut to the entry's <see cref="EvaluationTaskEntry.TruncateDim"/>; an
    /// mse task without one is one line. The entry's <see cref="EvaluationTaskEntry.AddTransitiveClosure"/> is a
    /// paraphrase-mining task's, its <see cref="EvaluationTaskEntry.Margin"/> a triplets task's (one line for any other kind).
    /// </summary>
    public TaskFileEvaluator(string path, int? limit = null, bool lateInteraction = false, EvaluationTaskEntry? entry = null)
    {
        string? teacherFolder = entry?.Teacher;
        truncateDim = entry?.TruncateDim;
        try
        {
            var task = TaskDefinition.FromPath(path, teacherFolder is null ? null : TaskKind.Mse, limit: limit);
            if (task.Kind == TaskKind.Mse && teacherFolder is null)
                throw new EvaluationException($"{path}: an mse task compares the model with a teacher model; give the entry as {{path: {path}, teacher: DIR}}");
            if (entry is { AddTransitiveClosure: true })
            {
                if (task.Kind != TaskKind.ParaphraseMining)
                    throw new EvaluationException($"{path}: add_transitive_closure applies to paraphrase-mining tasks; this one is {task.TypeName}");
                task = task with { AddTransitiveClosure = true };
            }
            if (entry is { Margin: not 0 })
            {
                if (task.Kind != TaskKind.Triplets)
                    throw new EvaluationException($"{path}: margin applies to triplets tasks; this one is {task.TypeName}");
                task = task with { Margin = entry.Margin };
            }
            if (teacherFolder is not null)
            {
                if (!Directory.Exists(teacherFolder)) throw new EvaluationException($"{path}: the teacher folder {teacherFolder} was not found");
                teacher = EvaluationEmbeddingModel.Load(teacherFolder, new EvaluationEmbeddingOptions { TruncateDim = truncateDim });
            }
            inner = TaskEvaluator.Create(task, teacher: teacher);
        }
        catch (Exception e) when (e is EvaluationException or ArgumentException or IOException or Skald.Models.ModelFormatException)
        {
            teacher?.Dispose();
            throw new TrainingException($"evaluation.tasks: {Located(path, e.Message)}", e);
        }
        if (lateInteraction && inner.Task.Kind is not (TaskKind.Retrieval or TaskKind.Reranking))
        {
            Dispose();
            throw new TrainingException($"evaluation.tasks: {path}: a {inner.Task.Kind.ToString().ToLowerInvariant()} task; a ColBERT is evaluated during " +
                "training on retrieval and reranking tasks (by MaxSim over its token vectors)");
        }
        Name = KeyName(inner.Task.Name);
    }

    /// <summary>A task's name as its metric keys spell it: letters, digits, '-', '_' and '.' kept, anything else '_'.</summary>
    internal static string KeyName(string taskName) =>
        string.Concat(taskName.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string? Task => inner.Task.Kind switch
    {
        TaskKind.Retrieval => "Information Retrieval",
        TaskKind.Reranking => "Reranking",
        TaskKind.Sts => "Semantic Similarity",
        TaskKind.Pairs => "Binary Classification",
        TaskKind.Triplets => "Triplet",
        TaskKind.Bitext => "Translation",
        TaskKind.Classification => "Classification",
        TaskKind.Clustering => "Clustering",
        TaskKind.ParaphraseMining => "Paraphrase Mining",
        TaskKind.Mse => "Knowledge Distillation",
        _ => null,
    };

    /// <summary>
    /// Every metric the task reported at its last evaluation, in the order reported (a model card's model-index lists
    /// them all, as sentence-transformers' lists every metric an evaluator returned); before the first evaluation, the
    /// task's main metric only (which metrics a task reports is known once it ran: <see cref="Provides"/> answers for any).
    /// </summary>
    public IReadOnlyList<string> MetricNames => reported ?? [Key(inner.MainMetric)];

    /// <summary>The task's main metric (<see cref="TaskEvaluator.MainMetric"/>), whatever the order of <see cref="MetricNames"/>.</summary>
    public string PrimaryMetric => Key(inner.MainMetric);

    private IReadOnlyList<string>? reported; // the keys of the last evaluation

    /// <inheritdoc />
    public bool Provides(string metric) => metric.StartsWith(Key(""), StringComparison.Ordinal);

    /// <summary>A metric of the task as its key: <c>eval_TASK_METRIC</c>.</summary>
    private string Key(string metric) => $"eval_{Name}_{metric}";

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize) =>
        // A ColBERT: exact MaxSim with the current weights, the retriever skald evaluate runs over a saved folder.
        Score(model is Modeling.TrainableEncoder { Model.LateInteraction: not null } colbert
            ? (IEvaluationModel)new LateInteractionRetriever(new TrainingColbertEncoder(colbert), batchSize)
            : TrainingEmbeddingModel.For(model, batchSize, truncateDim));

    /// <inheritdoc />
    /// <remarks>Not an mse task's (<see cref="ScoresEmbeddings"/>): its teacher's side is cut to its entry's width.</remarks>
    public bool ScoresEmbeddings => inner.Task.Kind != TaskKind.Mse && truncateDim is null;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(TrainingEmbeddingModel embeddings) => Score(embeddings);

    private Dictionary<string, double> Score(IEvaluationModel evaluated)
    {
        try
        {
            var result = inner.Evaluate(evaluated);
            Dispose(); // the mse evaluator keeps the teacher's embeddings of the sources; the teacher is done
            var metrics = result.Metrics.ToDictionary(kv => Key(kv.Key), kv => kv.Value);
            reported = [.. metrics.Keys];
            return metrics;
        }
        catch (EvaluationException e)
        {
            throw new TrainingException($"evaluation.tasks: {Located(inner.Task.Path, e.Message)}", e);
        }
    }

    /// <summary>
    /// Releases an mse task's teacher if it is still held (the evaluator never ran: a run that stopped or failed before
    /// its first evaluation, or a setup that could not be built); twice is fine.
    /// </summary>
    public void Dispose()
    {
        teacher?.Dispose();
        teacher = null;
    }

    /// <summary>The message about the task at <paramref name="path"/>, which names it once (most messages start with it).</summary>
    internal static string Located(string path, string message) =>
        message.StartsWith(path + ":", StringComparison.Ordinal) || message.StartsWith(path + " ", StringComparison.Ordinal) ? message : $"{path}: {message}";
}
