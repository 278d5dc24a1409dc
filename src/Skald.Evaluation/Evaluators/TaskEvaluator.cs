using System.Diagnostics;
using Skald.Evaluation.Data;
using Skald.Retrieval;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// The common shape of evaluators: <see cref="Evaluate"/> a model on one task and get a <see cref="TaskResult"/>
/// whose <see cref="MainMetric"/> is higher-is-better.
/// </summary>
public abstract class TaskEvaluator
{
    /// <summary>An evaluator of a task.</summary>
    protected TaskEvaluator(TaskDefinition task) => Task = task;

    /// <summary>The task.</summary>
    public TaskDefinition Task { get; }

    /// <summary>The metric reported as main_score.</summary>
    public abstract string MainMetric { get; }

    /// <summary>Every main metric here is higher-is-better.</summary>
    public bool HigherIsBetter => true;

    /// <summary>
    /// Evaluates a model. <paramref name="cancellationToken"/> is looked at before the task's data is embedded or
    /// searched: cancelled, nothing runs and <see cref="OperationCanceledException"/> is thrown (a task under way runs
    /// to its end; <see cref="Benchmark.BenchmarkRunner.Run"/> looks again between tasks).
    /// </summary>
    public TaskResult Evaluate(IEvaluationModel model, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var sw = Stopwatch.StartNew();
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var taskModel = model.ForTask(Task.Name, Task.MtebTypeName); // the model's task prompts, if it names any
        var metrics = Compute(taskModel, metadata);
        foreach (var (k, v) in taskModel.Metadata) metadata.TryAdd("model." + k, v);
        return new TaskResult
        {
            Task = Task.Name,
            Type = Task.TypeName,
            Language = Task.Language,
            MainMetric = MainMetric,
            MainScore = metrics.TryGetValue(MainMetric, out var main) ? main : throw new InvalidOperationException($"{MainMetric} missing"),
            Metrics = metrics,
            Model = model.Name,
            Seconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
            Metadata = metadata,
        };
    }

    /// <summary>Computes the metrics; may add metadata.</summary>
    protected abstract SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata);

    /// <summary>The model as an embedding model, or a clear error.</summary>
    protected IEmbeddingModel RequireEmbeddings(IEvaluationModel model) => model as IEmbeddingModel
        ?? throw new EvaluationException($"model {model.Name} is a retrieval system; it can only be evaluated on retrieval tasks, not on {Task.TypeName} task {Task.Name}");

    /// <summary>An evaluator for a task definition; <paramref name="teacher"/> embeds an mse task's sources (<see cref="MseEvaluator"/>).</summary>
    public static TaskEvaluator Create(TaskDefinition task, RetrievalOptions? retrieval = null, IEmbeddingModel? teacher = null) => task.Kind switch
    {
        TaskKind.Retrieval or TaskKind.Reranking => new RetrievalEvaluator(task, retrieval),
        TaskKind.Sts => new StsEvaluator(task),
        TaskKind.Pairs => new PairClassificationEvaluator(task),
        TaskKind.Triplets => new TripletEvaluator(task),
        TaskKind.Classification => new ClassificationEvaluator(task),
        TaskKind.Clustering => new ClusteringEvaluator(task),
        TaskKind.Bitext => new BitextEvaluator(task),
        TaskKind.Mse => new MseEvaluator(task, teacher),
        TaskKind.ParaphraseMining => new ParaphraseMiningEvaluator(task),
        _ => throw new ArgumentOutOfRangeException(nameof(task)),
    };

    /// <summary>Formats an integer for metadata.</summary>
    protected static string Str(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
