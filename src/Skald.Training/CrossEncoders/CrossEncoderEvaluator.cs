using Skald.Retrieval.Metrics;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Losses;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// Evaluation of a cross-encoder during training on its evaluation rows, as sentence-transformers'
/// CrossEncoderRerankingEvaluator reports it: each query's documents are its candidates, the relevant ones (label ≥ 0.5,
/// or the positive column) marked, and the model orders them by its logit; a query without a relevant one is left out. Reported (with
/// Skald.Retrieval's one ranking-metric implementation, ties by document descending as trec_eval):
/// <c>eval_reranking_ndcg@10</c> (first: the default for picking the best model), <c>eval_reranking_mrr@10</c> and
/// <c>eval_reranking_map</c> (MAP over all of a query's candidates).
/// </summary>
public sealed class CrossEncoderEvaluator : IEvaluator
{
    private readonly CrossEncoderLoss loss;
    private readonly List<(string Query, string[] Documents, int[] Relevant)> queries = [];

    /// <summary>
    /// Evaluates <paramref name="loss"/>'s model on <paramref name="rows"/>: (query, document) rows with a label,
    /// (anchor, positive, negative...) rows without one (the positive relevant, the negatives not; MarginMSE's rows,
    /// whose labels are margins, count as such), or listwise rows, a query with its documents and one label each
    /// (padded documents left out). Labels judge relevance by what they are: whole numbers from 0 are grades (relevant
    /// from 1), values within [0, 1] probabilities (relevant from 0.5), anything else a teacher's raw scores, which
    /// leave each query's best-scored documents relevant. Rows of the same query are one query. Unlabelled (anchor,
    /// positive) pairs have no negatives of their own: every query then gets the other rows' positives as candidates
    /// too (the first <see cref="MaxInSetCandidates"/> documents).
    /// </summary>
    public CrossEncoderEvaluator(CrossEncoderLoss loss, TextDataset rows)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(rows);
        var labels = loss is CrossEncoderMseLoss { Margin: true } ? null : rows.Labels;
        bool perDocument = labels is not null && rows.Columns.Count > 2 && rows.LabelWidth == rows.Columns.Count - 1;
        if (rows.Columns.Count < 2 || (labels is not null && rows.Columns.Count != 2 && !perDocument))
            throw new Config.TrainingException($"{rows.Name}: evaluating a cross-encoder needs (query, document) rows with a label, (anchor, positive[, negative...]) rows, or a query with a list of documents and their labels");
        this.loss = loss;
        var judged = new List<(string Query, string Document, float Label)>();
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows.Rows[i];
            if (labels is not null)
            {
                int width = rows.LabelWidth;
                for (int c = 1; c < r.Length; c++)
                {
                    float y = labels[i * width + c - 1];
                    if (!TextLists.IsPadding(y)) judged.Add((r[0], r[c], y));
                }
            }
            else for (int c = 1; c < r.Length; c++) judged.Add((r[0], r[c], c == 1 ? 1 : 0));
        }
        if (labels is null && rows.Columns.Count == 2)
        {
            var pool = rows.Rows.Select(r => r[1]).Distinct(StringComparer.Ordinal).Take(MaxInSetCandidates).ToList();
            judged.AddRange(rows.Rows.SelectMany(r => pool.Select(d => (r[0], d, 0f))));
        }
        var present = judged.Select(j => j.Label).ToList();
        bool grades = present.All(y => y >= 0 && y == MathF.Floor(y)), probabilities = present.All(y => y is >= 0 and <= 1);
        foreach (var group in judged.GroupBy(j => j.Query, StringComparer.Ordinal))
        {
            // A document judged several times for a query is one candidate with its highest label.
            var docs = group.GroupBy(j => j.Document, StringComparer.Ordinal).Select(g => (Doc: g.Key, Label: g.Max(x => x.Label))).ToList();
            float best = docs.Max(d => d.Label);
            bool Relevant(float y) => grades ? y >= 1 : probabilities ? y >= 0.5f : y == best;
            if (!docs.Any(d => Relevant(d.Label))) continue;
            queries.Add((group.Key, [.. docs.Select(d => d.Doc)], [.. docs.Select(d => Relevant(d.Label) ? 1 : 0)]));
        }
        if (queries.Count == 0)
            throw new Config.TrainingException($"{rows.Name}: no query of the evaluation rows has a relevant document");
    }

    /// <summary>At most this many documents are added to every query as in-set candidates for (anchor, positive) pairs.</summary>
    public const int MaxInSetCandidates = 100;

    /// <inheritdoc />
    public string Name => "reranking";

    /// <inheritdoc />
    public string? Task => "Cross Encoder Reranking";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => ["eval_reranking_ndcg@10", "eval_reranking_mrr@10", "eval_reranking_map"];

    /// <summary>Queries evaluated (those with a relevant row).</summary>
    public int QueryCount => queries.Count;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        var scores = loss.Scores(encoder, [.. queries.SelectMany(q => q.Documents.Select(d => (q.Query, d)))], batchSize);
        var runs = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var qrels = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        int k = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            string qid = "q" + q.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var docs = queries[q].Documents.Select((_, j) => ("d" + j.ToString("D6", System.Globalization.CultureInfo.InvariantCulture), scores[k + j])).ToList();
            runs[qid] = [.. RankingMetrics.Rank(docs).Select(r => r.DocId)];
            qrels[qid] = docs.Select((d, j) => (d.Item1, queries[q].Relevant[j])).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
            k += queries[q].Documents.Length;
        }
        int all = Math.Max(10, queries.Max(q => q.Documents.Length)); // MAP over every candidate
        var m = RankingMetrics.Evaluate(runs, qrels, all == 10 ? [10] : [10, all]);
        return new Dictionary<string, double>
        {
            ["eval_reranking_ndcg@10"] = m["ndcg_at_10"],
            ["eval_reranking_mrr@10"] = m["mrr_at_10"],
            ["eval_reranking_map"] = m[$"map_at_{all}"],
        };
    }
}
