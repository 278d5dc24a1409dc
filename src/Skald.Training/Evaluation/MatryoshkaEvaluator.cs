namespace Skald.Training.Evaluation;

/// <summary>
/// An embedding evaluator under a Matryoshka loss (<c>loss.type: matryoshka</c>), scoring the model at each width it
/// trains: at full width under its own keys, as without the loss (so its primary metric, and the best model's default,
/// stay the full width's), and cut to each narrower width N under <c>eval_NAME_dim_N_METRIC</c>
/// (<c>eval_retrieval_dim_64_ndcg@10</c>). Each text is encoded once, at full width, into one cache
/// (<see cref="TrainingEmbeddingModel.Cached"/>), and each width's scores come from that cache cut on the fly
/// (truncate_dim: the first N values after the model's modules, not normalised again; a cosine scorer normalises its
/// own copy): a width's evaluation copies out N values per text, no full-width copy beside the cache.
/// </summary>
/// <remarks>
/// sentence-transformers' trainer names no such keys itself: it evaluates what it is given, and its Matryoshka examples
/// give one evaluator per width with <c>truncate_dim=dim</c> and the width in its name after the task's
/// (<c>name=f"sts-dev-{dim}"</c>, keys <c>eval_sts-dev-256_spearman_cosine</c>, in a SequentialEvaluator whose score is
/// the first's, the full width's:
/// https://github.com/UKPLab/sentence-transformers/blob/e42edd300f25919d8fc6df844b89cbd5383c059a/examples/sentence_transformer/training/matryoshka/matryoshka_nli.py);
/// Hugging Face's retrieval fine-tuning guides name them <c>dim_{dim}</c> (<c>eval_dim_256_cosine_ndcg@10</c>). Here
/// the task's name leads and <c>dim_N</c> follows, so the widths of two tasks keep apart and a width cannot be read as
/// part of a task's name; the full width keeps its plain keys.
/// </remarks>
public sealed class MatryoshkaEvaluator : IEvaluator, IDisposable
{
    private readonly IReadOnlyList<int> widths;

    private MatryoshkaEvaluator(IEmbeddingEvaluator inner, IReadOnlyList<int> widths)
    {
        Inner = inner;
        this.widths = widths;
    }

    /// <summary>
    /// <paramref name="evaluators"/> with each one that scores embeddings (<see cref="IEmbeddingEvaluator.ScoresEmbeddings"/>)
    /// also scoring them at each of <paramref name="dims"/> narrower than <paramref name="dimension"/>; the list as it
    /// is when no width is narrower.
    /// </summary>
    public static IReadOnlyList<IEvaluator> Wrap(IReadOnlyList<IEvaluator> evaluators, IEnumerable<int> dims, int dimension)
    {
        ArgumentNullException.ThrowIfNull(evaluators);
        ArgumentNullException.ThrowIfNull(dims);
        var narrower = dims.Where(d => d < dimension).Distinct().OrderDescending().ToList();
        if (narrower.Count == 0) return evaluators;
        return [.. evaluators.Select(e => e is IEmbeddingEvaluator { ScoresEmbeddings: true } embedding ? new MatryoshkaEvaluator(embedding, narrower) : e)];
    }

    /// <summary>The evaluator scored at each width.</summary>
    public IEmbeddingEvaluator Inner { get; }

    /// <inheritdoc />
    public string Name => Inner.Name;

    /// <inheritdoc />
    public string? Task => Inner.Task;

    /// <summary>The full width's keys, then each narrower width's (widest first).</summary>
    public IReadOnlyList<string> MetricNames => [.. Inner.MetricNames, .. widths.SelectMany(d => Inner.MetricNames.Select(k => Key(k, d)))];

    /// <inheritdoc />
    public string PrimaryMetric => Inner.PrimaryMetric;

    /// <inheritdoc />
    public IReadOnlyList<string> SparsityMetricNames => Inner.SparsityMetricNames;

    /// <summary>
    /// Whether <paramref name="metric"/> is reported: a width's key (<c>eval_NAME_dim_N_…</c>) only for a width N this
    /// loss trains, and only for a metric the inner evaluator reports (an evaluation.tasks task, which answers for any
    /// <c>eval_TASK_…</c> key, would take an untrained width's key as its own); any other key as the inner evaluator says.
    /// </summary>
    public bool Provides(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return WidthOf(metric) is { } d ? widths.Contains(d) && Inner.Provides(Unprefixed(metric, d)) : Inner.Provides(metric);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        var embeddings = TrainingEmbeddingModel.For(model, batchSize).Cached();
        var result = new Dictionary<string, double>(Inner.Evaluate(embeddings));
        foreach (int d in widths)
        {
            foreach (var (k, v) in Inner.Evaluate(embeddings.Truncated(d))) result[Key(k, d)] = v;
        }
        return result;
    }

    /// <summary>Releases what the inner evaluator holds.</summary>
    public void Dispose() => (Inner as IDisposable)?.Dispose();

    private string Prefix(int d) => $"eval_{Name}_dim_{d}_";

    // eval_NAME_METRIC → eval_NAME_dim_N_METRIC (every key an evaluator returns starts with eval_NAME_)
    private string Key(string key, int d)
    {
        string own = $"eval_{Name}_";
        return key.StartsWith(own, StringComparison.Ordinal) ? Prefix(d) + key[own.Length..] : $"eval_{Name}_dim_{d}_{key}";
    }

    // N of eval_NAME_dim_N_METRIC (digits, then an underscore), else null
    private int? WidthOf(string metric)
    {
        string own = $"eval_{Name}_dim_";
        if (!metric.StartsWith(own, StringComparison.Ordinal)) return null;
        int end = metric.IndexOf('_', own.Length);
        return end > own.Length && int.TryParse(metric.AsSpan(own.Length, end - own.Length), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int d) ? d : null;
    }

    private string Unprefixed(string metric, int d) => $"eval_{Name}_" + metric[Prefix(d).Length..];
}
