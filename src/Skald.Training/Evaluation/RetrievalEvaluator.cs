using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;
using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Training.Evaluation;

/// <summary>
/// Retrieval during training, sentence-transformers' InformationRetrievalEvaluator over the shared core: the corpus is
/// searched exactly (<see cref="DenseRetriever"/>, under the model's own similarity) with the model's current weights,
/// each query's best 100 ranked in trec_eval's tie order and scored by
/// <see cref="RetrievalScorer.ScoreInformationRetrieval"/>: upstream's formulas (binary relevance, grade ≥ 1; MAP@100
/// over min(100, |R|); a query without a relevant document left out) and default cut-offs. A ColBERT being trained is
/// searched by exact MaxSim (<see cref="LateInteractionRetriever"/> over <see cref="TrainingColbertEncoder"/>), as
/// <c>skald evaluate</c> searches a saved one. On binary judgements where every query has a relevant document,
/// nDCG@10, MRR@10 and accuracy@10 are the <c>ndcg_at_10</c>, <c>mrr_at_10</c> and <c>hit_rate_at_10</c> that
/// <c>skald evaluate</c> prints (MTEB's trec_eval numbers) for the same model and data.
/// Keys, upstream's names in upstream's order: <c>eval_NAME_accuracy@1</c>, <c>@3</c>, <c>@5</c>, <c>@10</c>,
/// <c>eval_NAME_precision@k</c> and <c>eval_NAME_recall@k</c> at the same k, <c>eval_NAME_ndcg@10</c>,
/// <c>eval_NAME_mrr@10</c>, <c>eval_NAME_map@100</c> for a cosine model; for a dot, Euclidean or Manhattan model
/// (<paramref name="similarity"/>) the function is named as upstream names it, <c>eval_NAME_dot_ndcg@10</c>
/// (<see cref="SimilarityKeys"/>). <c>eval_NAME_hit_rate@10</c>, the key before upstream's set, is reported too
/// (accuracy@10) so configurations that name it keep working; it is no metric of its own (not in <see cref="MetricNames"/>).
/// A sparse encoder adds SparseInformationRetrievalEvaluator's <c>eval_NAME_query_active_dims</c>,
/// <c>_query_sparsity_ratio</c>, <c>_corpus_active_dims</c>, <c>_corpus_sparsity_ratio</c> and <c>_avg_flops</c>.
/// </summary>
public sealed class RetrievalEvaluator(RetrievalData data, string name = "retrieval", SimilarityFunction similarity = SimilarityFunction.Cosine) : IEmbeddingEvaluator
{
    private readonly string prefix = $"eval_{name}_{SimilarityKeys.Prefix(similarity)}";

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public string? Task => "Information Retrieval";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => [.. UpstreamOrder.Select(m => prefix + m)];

    /// <inheritdoc />
    public bool Provides(string metric) => metric == prefix + HitRate || MetricNames.Contains(metric) || SparsityMetricNames.Contains(metric);

    /// <inheritdoc />
    /// <remarks>SparseInformationRetrievalEvaluator's, in its order (its sparsity_stats: query, corpus, then avg_flops).</remarks>
    public IReadOnlyList<string> SparsityMetricNames =>
    [
        .. new[] { "query_", "corpus_" }.SelectMany(side => new[] { SparsityMetrics.ActiveDims, SparsityMetrics.SparsityRatio }.Select(m => $"eval_{Name}_{side}{m}")),
        $"eval_{Name}_{SparsityMetrics.AverageFlops}",
    ];

    /// <summary>The key before upstream's set, kept: accuracy@10.</summary>
    private const string HitRate = "hit_rate@10";

    /// <summary>Upstream's metrics in the order its evaluator returns them (and a model card lists them).</summary>
    private static readonly string[] UpstreamOrder =
    [
        .. InformationRetrievalMetrics.AccuracyAtK.Select(k => $"accuracy@{k}"),
        .. InformationRetrievalMetrics.PrecisionRecallAtK.Select(k => $"precision@{k}"),
        .. InformationRetrievalMetrics.PrecisionRecallAtK.Select(k => $"recall@{k}"),
        .. InformationRetrievalMetrics.NdcgAtK.Select(k => $"ndcg@{k}"),
        .. InformationRetrievalMetrics.MrrAtK.Select(k => $"mrr@{k}"),
        .. InformationRetrievalMetrics.MapAtK.Select(k => $"map@{k}"),
    ];

    /// <inheritdoc />
    /// <remarks>nDCG@10 under the model's similarity, as upstream's InformationRetrievalEvaluator.</remarks>
    public string PrimaryMetric => prefix + "ndcg@10";

    /// <summary>The queries, corpus and judgements.</summary>
    public RetrievalData Data { get; } = data;

    /// <summary>Queries that have judgements.</summary>
    public int QueryCount => Data.Queries.Count;

    /// <summary>
    /// A BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) read by the shared <see cref="RetrievalData.Load"/>,
    /// keeping the first <paramref name="maxQueries"/> judged queries.
    /// </summary>
    public static RetrievalEvaluator FromBeir(string folder, int? maxQueries, string name = "retrieval", SimilarityFunction similarity = SimilarityFunction.Cosine)
    {
        try
        {
            var data = RetrievalData.Load(folder, "test", maxQueries);
            if (!data.Qrels.Values.Any(judged => judged.Values.Any(grade => grade >= 1)))
                throw new EvaluationException($"{folder}: no query has a relevant document (a judgement of grade 1 or more) to evaluate retrieval by");
            return new RetrievalEvaluator(data, name, similarity);
        }
        catch (EvaluationException e)
        {
            throw new TrainingException($"evaluation.retrieval: {e.Message}");
        }
    }

    /// <summary>From pairs: column 0 is the query, column 1 its relevant document; other columns join the corpus.</summary>
    public static RetrievalEvaluator FromPairs(TextDataset d, string name = "pairs", SimilarityFunction similarity = SimilarityFunction.Cosine)
    {
        var docIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var corpus = new List<CorpusDocument>();
        string DocId(string text)
        {
            if (!docIds.TryGetValue(text, out var id))
            {
                docIds[text] = id = "d" + docIds.Count;
                corpus.Add(new CorpusDocument(id, "", text));
            }
            return id;
        }
        var queries = new List<(string Id, string Text)>();
        var qrels = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        for (int i = 0; i < d.Count; i++)
        {
            string q = "q" + i;
            queries.Add((q, d.Rows[i][0]));
            qrels[q] = new Dictionary<string, int>(StringComparer.Ordinal) { [DocId(d.Rows[i][1])] = 1 };
            for (int c = 2; c < d.Columns.Count; c++) DocId(d.Rows[i][c]);
        }
        return new RetrievalEvaluator(RetrievalData.Create(corpus, queries, qrels), name, similarity);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize) =>
        Score(model is Modeling.TrainableEncoder { Model.LateInteraction: not null } colbert
            ? (IRetrievalModel)new LateInteractionRetriever(new TrainingColbertEncoder(colbert), batchSize)
            : EmbeddingRetriever.For(TrainingEmbeddingModel.For(model, batchSize)));

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(TrainingEmbeddingModel embeddings) => Score(EmbeddingRetriever.For(embeddings));

    private Dictionary<string, double> Score(IRetrievalModel retriever)
    {
        SortedDictionary<string, double> m;
        try
        {
            m = RetrievalScorer.ScoreInformationRetrieval(retriever, Data);
        }
        catch (EvaluationException e)
        {
            throw new TrainingException($"evaluation of {Name}: {e.Message}");
        }
        var result = UpstreamOrder.ToDictionary(k => prefix + k, k => m[k]);
        result[prefix + HitRate] = m["accuracy@10"];
        // a sparse encoder's sparsity metrics, named as upstream's SparseInformationRetrievalEvaluator names them (no function)
        foreach (var (key, value) in m) if (!UpstreamOrder.Contains(key)) result[$"eval_{Name}_{key}"] = value;
        return result;
    }
}
