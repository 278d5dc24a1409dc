using System.Diagnostics;
using System.Globalization;
using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// sentence-transformers' <c>NanoBEIREvaluator</c>: each dataset is searched exactly under the model's similarity
/// (<see cref="DenseRetriever"/>; ties in trec_eval's order) and scored by <see cref="InformationRetrievalMetrics"/>,
/// keys <c>{Nano name}_{score function}_{metric}</c> (<c>NanoMSMARCO_cosine_ndcg@10</c>), then each metric is averaged
/// over the datasets as <c>NanoBEIR_mean_{score function}_{metric}</c>, the main one being
/// <c>NanoBEIR_mean_cosine_ndcg@10</c> (<c>dot</c> for a model whose similarity is the dot product). With a truncation
/// width N (the model's <c>truncate_dim</c>) every name gains <c>_N</c> after the dataset or collection name, as upstream's.
/// Query and document prompts are the model's (its prompts, or <c>--query-prompt</c>/<c>--document-prompt</c>): one
/// for every dataset, as upstream's <c>query_prompts</c>/<c>corpus_prompts</c> given as a string, or a model per dataset
/// (the same weights with that dataset's query prompt), as upstream's <c>query_prompts</c> given as a dict.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/NanoBEIREvaluator.py</remarks>
public sealed class NanoBeirEvaluator
{
    private readonly IReadOnlyList<NanoBeirData> datasets;
    private readonly string suffix;

    /// <summary>An evaluator of <paramref name="datasets"/>; <paramref name="truncateDim"/> is the width the model's embeddings are cut to, if any.</summary>
    public NanoBeirEvaluator(IReadOnlyList<NanoBeirData> datasets, int? truncateDim = null)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        if (datasets.Count == 0) throw new ArgumentException("no dataset", nameof(datasets));
        this.datasets = datasets;
        suffix = truncateDim is int d ? "_" + d.ToString(CultureInfo.InvariantCulture) : "";
    }

    /// <summary>The collection's name in the averaged metrics: <c>NanoBEIR_mean</c> (<c>NanoBEIR_mean_256</c> truncated to 256).</summary>
    public string Name => "NanoBEIR_mean" + suffix;

    /// <summary>Upstream's name for the similarity a model ranks by: <c>dot</c>, else <c>cosine</c> (what <see cref="DenseRetriever"/> ranks every other one by).</summary>
    public static string ScoreFunction(IEmbeddingModel model) => model.Similarity == SimilarityFunction.Dot ? "dot" : "cosine";

    /// <summary>The metric that ranks models: the mean nDCG@10.</summary>
    public string MainMetric(IEmbeddingModel model) => $"{Name}_{ScoreFunction(model)}_ndcg@10";

    /// <summary>
    /// Every dataset's metrics and their means, as one result named <see cref="Name"/> whose main score is
    /// <see cref="MainMetric"/>. <paramref name="cancellationToken"/> is looked at before each dataset.
    /// </summary>
    public TaskResult Evaluate(IEmbeddingModel model, CancellationToken cancellationToken = default) =>
        Evaluate(model, new Dictionary<string, IEmbeddingModel>(), cancellationToken);

    /// <summary>
    /// As <see cref="Evaluate(IEmbeddingModel, CancellationToken)"/>, a dataset named in <paramref name="byDataset"/>
    /// (by its <see cref="NanoBeirData.Name"/>) embedded by its own model: the same weights with that dataset's query
    /// prompt, as upstream's <c>query_prompts</c> dict (its prompt recorded as <c>{name}.query_prompt</c>).
    /// </summary>
    public TaskResult Evaluate(IEmbeddingModel model, IReadOnlyDictionary<string, IEmbeddingModel> byDataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(byDataset);
        var sw = Stopwatch.StartNew();
        string fn = ScoreFunction(model);
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var sums = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var data in datasets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var own = byDataset.GetValueOrDefault(data.Name) ?? model;
            var view = own.ForTask(data.Name, "Retrieval") as IEmbeddingModel ?? own;
            if (own != model && view.Metadata.TryGetValue("query_prompt", out string? prompt)) metadata[data.Name + ".query_prompt"] = prompt;
            foreach (var (metric, value) in Score(view, data))
            {
                metrics[$"{data.Name}{suffix}_{fn}_{metric}"] = value;
                sums[metric] = sums.GetValueOrDefault(metric) + value;
            }
            metadata[data.Name + ".documents"] = data.Corpus.Count.ToString(CultureInfo.InvariantCulture);
            metadata[data.Name + ".queries"] = data.Queries.Count.ToString(CultureInfo.InvariantCulture);
        }
        foreach (var (metric, sum) in sums) metrics[$"{Name}_{fn}_{metric}"] = sum / datasets.Count;
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

    /// <summary>One dataset's metrics (<c>accuracy@1</c>, ..., <c>map@100</c>): its queries searched over its corpus.</summary>
    public static SortedDictionary<string, double> Score(IEmbeddingModel model, NanoBeirData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var hits = new DenseRetriever(model).Search(data.Corpus, [.. data.Queries.Select(q => q.Text)], InformationRetrievalMetrics.MaxK, null);
        var ranked = new IReadOnlyList<string>[hits.Length];
        for (int i = 0; i < hits.Length; i++)
            ranked[i] = [.. RankingMetrics.Rank(hits[i].Select(h => (data.Corpus[h.Index].Id, h.Score))).Select(r => r.DocId)];
        return InformationRetrievalMetrics.Compute(ranked, data.Relevant);
    }
}
