using System.Diagnostics;
using System.Globalization;
using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// sentence-transformers' <c>NanoBEIREvaluator</c>: each dataset's queries are scored against its whole corpus under the
/// model's own similarity (upstream's default <c>score_functions</c>, <c>model.similarity</c>: cosine, dot, or the
/// negated Euclidean or Manhattan distance of the raw embeddings), the documents ranked by it (ties in trec_eval's
/// order) and scored by <see cref="InformationRetrievalMetrics"/>, keys <c>{Nano name}_{similarity}_{metric}</c>
/// (<c>NanoMSMARCO_cosine_ndcg@10</c>, <c>NanoMSMARCO_euclidean_ndcg@10</c>), then each metric is averaged over the
/// datasets as <c>NanoBEIR_mean_{similarity}_{metric}</c>, the main one being <c>NanoBEIR_mean_{similarity}_ndcg@10</c>.
/// With a truncation width N (the model's <c>truncate_dim</c>) every name gains <c>_N</c> after the dataset or
/// collection name, as upstream's. Query and corpus prompts are the model's (its prompts, or
/// <c>--query-prompt</c>/<c>--document-prompt</c>), or per dataset as upstream's <c>query_prompts</c> and
/// <c>corpus_prompts</c> dicts: the same model embeds each dataset with its prompts (<see cref="IEmbeddingModel.WithPrompts"/>),
/// loaded once. A sparse encoder's run is SparseNanoBEIREvaluator's: each dataset adds
/// <c>{Nano name}_query_active_dims</c>, <c>_query_sparsity_ratio</c>, <c>_corpus_active_dims</c>,
/// <c>_corpus_sparsity_ratio</c> and <c>_avg_flops</c>, and the collection the same under <see cref="Name"/>: the
/// active dims and ratios as means over every query (document) of every dataset, <c>avg_flops</c> from the per-dimension
/// shares of all queries and all documents pooled (<see cref="SparsityTotals"/>); with <c>max_active_dims</c> N the names gain
/// <c>_N</c> as a truncation width's do.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/NanoBEIREvaluator.py,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseNanoBEIREvaluator.py
/// </remarks>
public sealed class NanoBeirEvaluator
{
    private readonly IReadOnlyList<NanoBeirData> datasets;
    private readonly string suffix;
    private readonly IReadOnlyDictionary<string, string>? queryPrompts, corpusPrompts;

    /// <summary>
    /// An evaluator of <paramref name="datasets"/>; <paramref name="truncateDim"/> is the width the model's embeddings are
    /// cut to, if any (a sparse encoder's <c>max_active_dims</c>, which names the results the same way). <paramref name="queryPrompts"/> and <paramref name="corpusPrompts"/> (upstream's dicts) give each
    /// dataset, named as upstream names it (<c>msmarco</c>) or as its metrics do (<c>NanoMSMARCO</c>), case-insensitive,
    /// its query or document prompt; a dict given must name every dataset, as upstream's must (one line naming those it lacks).
    /// </summary>
    public NanoBeirEvaluator(IReadOnlyList<NanoBeirData> datasets, int? truncateDim = null,
        IReadOnlyDictionary<string, string>? queryPrompts = null, IReadOnlyDictionary<string, string>? corpusPrompts = null)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        if (datasets.Count == 0) throw new ArgumentException("no dataset", nameof(datasets));
        this.datasets = datasets;
        suffix = truncateDim is int d ? "_" + d.ToString(CultureInfo.InvariantCulture) : "";
        string missing = string.Join("; ", new[] { ("query", queryPrompts), ("corpus", corpusPrompts) }
            .Where(x => x.Item2 is not null && datasets.Any(s => PromptOf(x.Item2, s) is null))
            .Select(x => $"no {x.Item1} prompt for {string.Join(", ", datasets.Where(s => PromptOf(x.Item2, s) is null).Select(s => s.Name))}"));
        if (missing.Length > 0) throw new EvaluationException($"NanoBEIR: {missing} (a dict of prompts names every dataset, as upstream's)");
        this.queryPrompts = queryPrompts;
        this.corpusPrompts = corpusPrompts;
    }

    /// <summary>The collection's name in the averaged metrics: <c>NanoBEIR_mean</c> (<c>NanoBEIR_mean_256</c> truncated to 256).</summary>
    public string Name => "NanoBEIR_mean" + suffix;

    /// <summary>Upstream's name for the similarity a model ranks by, its <c>similarity_fn_name</c>: <c>cosine</c>, <c>dot</c>, <c>euclidean</c> or <c>manhattan</c>.</summary>
    public static string ScoreFunction(IEmbeddingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Similarities.Name(model.Similarity);
    }

    /// <summary>The metric that ranks models: the mean nDCG@10.</summary>
    public string MainMetric(IEmbeddingModel model) => $"{Name}_{ScoreFunction(model)}_ndcg@10";

    /// <summary>
    /// Every dataset's metrics and their means, as one result named <see cref="Name"/> whose main score is
    /// <see cref="MainMetric"/>; a dataset's own prompts are recorded as <c>{name}.query_prompt</c> and
    /// <c>{name}.corpus_prompt</c>. <paramref name="cancellationToken"/> is looked at before each dataset.
    /// </summary>
    public TaskResult Evaluate(IEmbeddingModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sw = Stopwatch.StartNew();
        string fn = ScoreFunction(model);
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var sums = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var sparsity = model.IsSparse ? new SparsityTotals(model.Dimension) : null;
        foreach (var data in datasets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var view = model.ForTask(data.Name, "Retrieval") as IEmbeddingModel ?? model;
            string? query = PromptOf(queryPrompts, data), corpus = PromptOf(corpusPrompts, data);
            if (query is not null || corpus is not null) view = view.WithPrompts(query, corpus);
            if (query is not null) metadata[data.Name + ".query_prompt"] = query;
            if (corpus is not null) metadata[data.Name + ".corpus_prompt"] = corpus;
            var scores = Score(view, data, out var queryRows, out var documentRows);
            foreach (var (metric, value) in scores)
            {
                metrics[$"{data.Name}{suffix}_{fn}_{metric}"] = value;
                sums[metric] = sums.GetValueOrDefault(metric) + value;
            }
            sparsity?.Add(metrics, $"{data.Name}{suffix}_", queryRows, documentRows);
            metadata[data.Name + ".documents"] = data.Corpus.Count.ToString(CultureInfo.InvariantCulture);
            metadata[data.Name + ".queries"] = data.Queries.Count.ToString(CultureInfo.InvariantCulture);
        }
        foreach (var (metric, sum) in sums) metrics[$"{Name}_{fn}_{metric}"] = sum / datasets.Count;
        sparsity?.AddMeans(metrics, Name + "_");
        metadata["datasets"] = string.Join(",", datasets.Select(d => d.Name));
        foreach (var (k, v) in model.Metadata) metadata.TryAdd("model." + k, v);
        string main = MainMetric(model);
        return new TaskResult
        {
            Task = Name,
            Type = "retrieval",
            Language = "en",
            MainMetric = main,
            MainScore = metrics[main],
            Metrics = metrics,
            Model = model.Name,
            Seconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
            Metadata = metadata,
        };
    }

    /// <summary>
    /// One dataset's metrics (<c>accuracy@1</c>, ..., <c>map@100</c>): its queries (role query) scored against every
    /// document (role document) by the model's similarity of the embeddings as the model returns them
    /// (<see cref="Similarities.Matrix(SimilarityFunction, IReadOnlyList{float[]}, IReadOnlyList{float[]})"/>, upstream's
    /// <c>model.similarity</c>), the best <see cref="InformationRetrievalMetrics.MaxK"/> of each kept.
    /// </summary>
    public static SortedDictionary<string, double> Score(IEmbeddingModel model, NanoBeirData data) => Score(model, data, out _, out _);

    /// <summary><see cref="Score(IEmbeddingModel, NanoBeirData)"/>, with the embeddings of the queries and documents.</summary>
    private static SortedDictionary<string, double> Score(IEmbeddingModel model, NanoBeirData data, out float[][] queries, out float[][] documents)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        queries = model.Embed([.. data.Queries.Select(q => q.Text)], TextRole.Query);
        documents = model.Embed([.. data.Corpus.Select(d => d.FullText)], TextRole.Document);
        var scores = Similarities.Matrix(model.Similarity, queries, documents);
        int k = Math.Min(InformationRetrievalMetrics.MaxK, documents.Length);
        var ranked = new IReadOnlyList<string>[queries.Length];
        for (int i = 0; i < queries.Length; i++)
        {
            int row = i; // (the out parameter cannot be captured)
            ranked[i] = [.. RankingMetrics.Rank(data.Corpus.Select((d, j) => (d.Id, scores[row, j]))).Take(k).Select(r => r.DocId)];
        }
        return InformationRetrievalMetrics.Compute(ranked, data.Relevant);
    }

    /// <summary>
    /// <paramref name="data"/>'s prompt in <paramref name="prompts"/>: the entry named as upstream names the dataset
    /// (<c>msmarco</c>) or as its metrics do (<c>NanoMSMARCO</c>), case-insensitive; null when none is.
    /// </summary>
    private static string? PromptOf(IReadOnlyDictionary<string, string>? prompts, NanoBeirData data)
    {
        if (prompts is null) return null;
        string bare = data.Name.StartsWith("Nano", StringComparison.Ordinal) ? data.Name[4..] : data.Name;
        foreach (var (key, prompt) in prompts)
        {
            if (key.Equals(data.Name, StringComparison.OrdinalIgnoreCase) || key.Equals(bare, StringComparison.OrdinalIgnoreCase)) return prompt;
        }
        return null;
    }
}
