using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;
using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Training.Evaluation;

/// <summary>
/// Retrieval during training, a thin adapter over the shared core: the corpus is searched exactly
/// (<see cref="DenseRetriever"/>, under the model's own similarity) with the model's current weights and scored by <see cref="RetrievalScorer"/> — the
/// reader, ranking (trec_eval ties) and metrics of <c>skald evaluate</c>, so the numbers are the ones it prints for
/// the same model and data (<c>hit_rate_at_10</c>, <c>mrr_at_10</c>, <c>ndcg_at_10</c>). A ColBERT being trained is
/// searched by exact MaxSim (<see cref="LateInteractionRetriever"/> over <see cref="TrainingColbertEncoder"/>), as
/// <c>skald evaluate</c> searches a saved one.
/// Keys: <c>eval_NAME_hit_rate@10</c>, <c>eval_NAME_mrr@10</c>, <c>eval_NAME_ndcg@10</c> for a cosine model; for a
/// dot, Euclidean or Manhattan model (<paramref name="similarity"/>) the function is named as upstream's
/// InformationRetrievalEvaluator names it, <c>eval_NAME_dot_ndcg@10</c> (<see cref="SimilarityKeys"/>).
/// </summary>
public sealed class RetrievalEvaluator(RetrievalData data, string name = "retrieval", SimilarityFunction similarity = SimilarityFunction.Cosine) : IEvaluator
{
    private readonly string prefix = $"eval_{name}_{SimilarityKeys.Prefix(similarity)}";

    private const int K = 10;

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public string? Task => "Information Retrieval";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => [prefix + "hit_rate@10", prefix + "mrr@10", prefix + "ndcg@10"];

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
            return new RetrievalEvaluator(RetrievalData.Load(folder, "test", maxQueries), name, similarity);
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
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        IRetrievalModel retriever = model is Modeling.TrainableEncoder { Model.LateInteraction: not null } colbert
            ? new LateInteractionRetriever(new TrainingColbertEncoder(colbert), batchSize)
            : EmbeddingRetriever.For(TrainingEmbeddingModel.For(model, batchSize));
        var m = RetrievalScorer.Score(retriever, Data, topK: K, cutoffs: [K]);
        return new Dictionary<string, double>
        {
            [prefix + "hit_rate@10"] = m["hit_rate_at_10"],
            [prefix + "mrr@10"] = m["mrr_at_10"],
            [prefix + "ndcg@10"] = m["ndcg_at_10"],
        };
    }
}
