using System.Diagnostics;
using System.Globalization;
using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Retrieval;
using Skald.Retrieval.Bm25;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// sentence-transformers' <c>CrossEncoderNanoBEIREvaluator</c>: for each dataset, every query's first <c>rerank_k</c>
/// documents of a BM25 ranking of the dataset's corpus are reranked by a cross-encoder and scored by a
/// <see cref="CrossEncoderRerankingEvaluator"/> (a <c>documents</c> sample: the relevant documents and the BM25 list),
/// keys <c>{dataset}_R{rerank_k}_{metric}</c> (<c>NanoMSMARCO_R100_ndcg@10</c>; <c>map</c>, <c>mrr@10</c>, <c>ndcg@10</c> and the BM25 list's own <c>base_map</c>,
/// <c>base_mrr@10</c>, <c>base_ndcg@10</c>); each metric is then averaged over the datasets as
/// <c>{collection}_R{rerank_k}_{aggregate}_{metric}</c>, the primary metric being
/// <c>NanoBEIR_R100_mean_ndcg@10</c>. Upstream reads BM25 rankings published with the NanoBEIR sets; offline the
/// datasets are any (<see cref="NanoBeirData.FromHub(NanoBeirDataset, IProgress{Skald.Hub.HubProgress}?)"/> from the hub
/// cache, <see cref="NanoBeirData.FromTask"/> for a local retrieval task such as the shared suite's), ranked here by
/// <see cref="Bm25Model"/> in each dataset's <see cref="NanoBeirData.Language"/>.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/evaluation/nano_beir.py
/// (names: <c>NanoBEIR_R{rerank_k}_{aggregate_key}</c>; per dataset the reranking evaluator's keys under
/// <c>_get_human_readable_name</c>'s <c>Nano{Name}_R{rerank_k}</c>;
/// <c>aggregate_fn</c> np.mean over the datasets).
/// </remarks>
public sealed class CrossEncoderNanoBeirEvaluator
{
    private readonly IReadOnlyList<(string Name, CrossEncoderRerankingEvaluator Evaluator)> datasets;
    private readonly int atK, rerankK;
    private readonly bool alwaysRerankPositives;
    private readonly Dictionary<string, int> corpusSizes;
    private readonly string[] languages;

    /// <summary>
    /// An evaluator of <paramref name="datasets"/> (named as their metrics are, each once): <paramref name="rerankK"/>
    /// BM25 documents per query (upstream's <c>rerank_k</c>, 100), <paramref name="atK"/> the cut-off of MRR and nDCG
    /// (<c>at_k</c>, 10), <paramref name="alwaysRerankPositives"/> upstream's <c>always_rerank_positives</c> (true: the
    /// relevant documents BM25 missed are reranked too); <paramref name="collection"/> and <paramref name="aggregateKey"/>
    /// name the means (<c>NanoBEIR</c>, upstream's <c>aggregate_key</c> <c>mean</c>); <paramref name="bm25"/> the first stage's settings.
    /// </summary>
    public CrossEncoderNanoBeirEvaluator(IReadOnlyList<NanoBeirData> datasets, int rerankK = 100, int atK = 10, bool alwaysRerankPositives = true,
        string collection = "NanoBEIR", string aggregateKey = "mean", Bm25Options? bm25 = null)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        if (datasets.Count == 0) throw new ArgumentException("no dataset", nameof(datasets));
        ArgumentOutOfRangeException.ThrowIfLessThan(rerankK, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(atK, 1);
        if (datasets.GroupBy(d => d.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new EvaluationException($"{collection}: the dataset {twice.Key} is given twice (its metrics would be one dataset's)");
        this.datasets = [.. datasets.Select(d => (d.Name, new CrossEncoderRerankingEvaluator(FirstStage(d, rerankK, bm25), atK, alwaysRerankPositives)))];
        corpusSizes = datasets.ToDictionary(d => d.Name, d => d.Corpus.Count, StringComparer.Ordinal);
        languages = [.. datasets.Select(d => d.Language ?? "en").Distinct(StringComparer.Ordinal)];
        this.atK = atK;
        this.rerankK = rerankK;
        this.alwaysRerankPositives = alwaysRerankPositives;
        Name = string.Create(CultureInfo.InvariantCulture, $"{collection}_R{rerankK}_{aggregateKey}");
    }

    /// <summary>
    /// Upstream's datasets when none are named (its <c>dataset_names=None</c>): every NanoBEIR dataset but ArguAna and
    /// Touche2020.
    /// </summary>
    public static IReadOnlyList<NanoBeirDataset> DefaultDatasets { get; } =
        [.. NanoBeirDataset.All.Where(d => d.ShortName is not ("arguana" or "touche2020"))];

    /// <summary>The name of the means: <c>NanoBEIR_R100_mean</c>.</summary>
    public string Name { get; }

    /// <summary>The mean nDCG at the cut-off, upstream's primary metric (<c>NanoBEIR_R100_mean_ndcg@10</c>).</summary>
    public string PrimaryMetric => string.Create(CultureInfo.InvariantCulture, $"{Name}_ndcg@{atK}");

    /// <summary>Each dataset's name and its samples: the query, its relevant documents and BM25's documents, best first.</summary>
    public IReadOnlyList<(string Name, IReadOnlyList<RerankingSample> Samples)> Datasets => [.. datasets.Select(d => (d.Name, d.Evaluator.Samples))];

    /// <summary>
    /// The reranking samples of <paramref name="data"/> (a <c>documents</c> sample per query): the query with the texts
    /// of its relevant documents (those in the corpus) and of the first <paramref name="rerankK"/> documents BM25 (with
    /// <paramref name="bm25"/>) ranks for it in the dataset's <see cref="NanoBeirData.Language"/>.
    /// </summary>
    public static IReadOnlyList<RerankingSample> FirstStage(NanoBeirData data, int rerankK, Bm25Options? bm25 = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(rerankK, 1);
        var hits = new Bm25Model(bm25).Search(data.Corpus, [.. data.Queries.Select(q => q.Text)], rerankK, data.Language);
        var text = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in data.Corpus) text.TryAdd(d.Id, d.FullText);
        return [.. data.Queries.Select((q, i) => new RerankingSample(q.Text,
            [.. data.Relevant[i].Where(text.ContainsKey).Select(id => text[id])],
            Documents: [.. hits[i].Select(h => data.Corpus[h.Index].FullText)]))];
    }

    /// <summary>The metrics, scored by <paramref name="model"/> (a one-label cross-encoder) with <paramref name="options"/>.</summary>
    public Dictionary<string, double> Evaluate(CrossEncoder model, CrossEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Evaluate(pairs => model.Score(pairs, options));
    }

    /// <summary>
    /// The metrics, each (query, document) pair scored by <paramref name="score"/> (one call per dataset): each
    /// dataset's as <c>{dataset}_R{rerank_k}_{metric}</c>, in the datasets' order, then the means over the datasets as
    /// <c>{<see cref="Name"/>}_{metric}</c>.
    /// </summary>
    public Dictionary<string, double> Evaluate(Func<IReadOnlyList<(string Query, string Document)>, float[]> score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        var perMetric = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var (name, evaluator) in datasets)
        {
            foreach (var (metric, value) in evaluator.Evaluate(score))
            {
                result[string.Create(CultureInfo.InvariantCulture, $"{name}_R{rerankK}_{metric}")] = value;
                if (!perMetric.TryGetValue(metric, out var values)) perMetric[metric] = values = [];
                values.Add(value);
            }
        }
        foreach (var (metric, values) in perMetric) result[$"{Name}_{metric}"] = values.Average();
        return result;
    }

    /// <summary>
    /// <see cref="Evaluate(CrossEncoder, CrossEncoderOptions?)"/> as one result (what <c>skald evaluate --nanobeir</c>
    /// writes for a cross-encoder): named <see cref="Name"/>, main score <see cref="PrimaryMetric"/>, each dataset's
    /// documents and queries, the datasets and upstream's settings (its <c>get_config_dict</c>: <c>rerank_k</c>,
    /// <c>at_k</c>, <c>always_rerank_positives</c>) in its metadata.
    /// </summary>
    public TaskResult Result(CrossEncoder model, CrossEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sw = Stopwatch.StartNew();
        var metrics = new SortedDictionary<string, double>(Evaluate(model, options), StringComparer.Ordinal);
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["datasets"] = string.Join(",", datasets.Select(d => d.Name)),
            ["rerank_k"] = rerankK.ToString(CultureInfo.InvariantCulture),
            ["at_k"] = atK.ToString(CultureInfo.InvariantCulture),
            ["always_rerank_positives"] = alwaysRerankPositives ? "true" : "false",
        };
        foreach (var (name, evaluator) in datasets)
        {
            metadata[name + ".queries"] = evaluator.Samples.Count.ToString(CultureInfo.InvariantCulture);
            metadata[name + ".documents"] = corpusSizes[name].ToString(CultureInfo.InvariantCulture);
        }
        return new TaskResult
        {
            Task = Name,
            Type = "reranking",
            Language = string.Join(",", languages),
            MainMetric = PrimaryMetric,
            MainScore = metrics[PrimaryMetric],
            Metrics = metrics,
            Model = ModelNames.Of(model.Source),
            Seconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
            Metadata = metadata,
        };
    }
}
