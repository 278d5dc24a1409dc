using Skald.Models.Pipeline;
using Skald.Training.Data;

namespace Skald.Training.Evaluation;

/// <summary>Something that scores a model during training; metric keys start with <c>eval_</c>.</summary>
public interface IEvaluator
{
    /// <summary>Short name used in metric keys.</summary>
    string Name { get; }

    /// <summary>The keys <see cref="Evaluate"/> returns.</summary>
    IReadOnlyList<string> MetricNames { get; }

    /// <summary>Computes metrics with the model's current weights (inference mode).</summary>
    IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize);
}

/// <summary>
/// sentence-transformers' TripletEvaluator: the share of (anchor, positive, negative) rows where the anchor is more
/// similar to the positive than to the negative under the model's similarity function. Key: <c>eval_NAME_accuracy</c>.
/// </summary>
public sealed class TripletEvaluator(IReadOnlyList<string[]> triplets, string name = "triplet") : IEvaluator
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => [$"eval_{Name}_accuracy"];

    /// <summary>Builds one from a dataset with at least three input columns.</summary>
    public static TripletEvaluator FromDataset(TextDataset d, string name = "triplet") =>
        new(d.Rows.Select(r => new[] { r[0], r[1], r[2] }).ToArray(), name);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize) =>
        new Dictionary<string, double> { [$"eval_{Name}_accuracy"] = Accuracy(model, batchSize) };

    /// <summary>The accuracy in [0, 1].</summary>
    public double Accuracy(ITrainableModel model, int batchSize)
    {
        if (triplets.Count == 0) return double.NaN;
        var sim = model.Source.Similarity;
        var a = model.Encode(triplets.Select(t => t[0]).ToArray(), batchSize);
        var p = model.Encode(triplets.Select(t => t[1]).ToArray(), batchSize);
        var n = model.Encode(triplets.Select(t => t[2]).ToArray(), batchSize);
        int correct = 0;
        for (int i = 0; i < triplets.Count; i++)
        {
            if (Similarities.Compute(sim, a[i], p[i]) > Similarities.Compute(sim, a[i], n[i])) correct++;
        }
        return (double)correct / triplets.Count;
    }
}

/// <summary>
/// sentence-transformers' InformationRetrievalEvaluator on a small set: every query ranks the whole corpus by the
/// model's similarity; reports hit rate (accuracy@10), MRR@10 and nDCG@10 (binary relevance).
/// Keys: <c>eval_NAME_hit_rate@10</c>, <c>eval_NAME_mrr@10</c>, <c>eval_NAME_ndcg@10</c>.
/// </summary>
public sealed class RetrievalEvaluator : IEvaluator
{
    private const int K = 10;
    private readonly IReadOnlyList<(string Id, string Text)> queries;
    private readonly IReadOnlyList<(string Id, string Text)> corpus;
    private readonly IReadOnlyDictionary<string, HashSet<string>> relevant;

    /// <summary>Queries and corpus by id; <paramref name="relevant"/> maps a query id to its relevant document ids.</summary>
    public RetrievalEvaluator(IReadOnlyList<(string Id, string Text)> queries, IReadOnlyList<(string Id, string Text)> corpus,
        IReadOnlyDictionary<string, HashSet<string>> relevant, string name = "retrieval")
    {
        this.queries = queries.Where(q => relevant.ContainsKey(q.Id)).ToList();
        this.corpus = corpus;
        this.relevant = relevant;
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => [$"eval_{Name}_hit_rate@10", $"eval_{Name}_mrr@10", $"eval_{Name}_ndcg@10"];

    /// <summary>Queries that have relevant documents.</summary>
    public int QueryCount => queries.Count;

    /// <summary>From pairs: column 0 is the query, column 1 its relevant document; other columns join the corpus.</summary>
    public static RetrievalEvaluator FromPairs(TextDataset d, string name = "pairs")
    {
        var docIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var corpus = new List<(string, string)>();
        string DocId(string text)
        {
            if (!docIds.TryGetValue(text, out var id))
            {
                docIds[text] = id = "d" + docIds.Count;
                corpus.Add((id, text));
            }
            return id;
        }
        var queries = new List<(string, string)>();
        var rel = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (int i = 0; i < d.Count; i++)
        {
            string q = "q" + i;
            queries.Add((q, d.Rows[i][0]));
            rel[q] = [DocId(d.Rows[i][1])];
            for (int c = 2; c < d.Columns.Count; c++) DocId(d.Rows[i][c]);
        }
        return new RetrievalEvaluator(queries, corpus, rel, name);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        var sim = model.Source.Similarity;
        var q = model.Encode(queries.Select(x => x.Text).ToArray(), batchSize);
        var c = model.Encode(corpus.Select(x => x.Text).ToArray(), batchSize);
        double hits = 0, mrr = 0, ndcg = 0;
        var scores = new float[corpus.Count];
        var order = new int[corpus.Count];
        for (int i = 0; i < queries.Count; i++)
        {
            for (int j = 0; j < corpus.Count; j++)
            {
                scores[j] = Similarities.Compute(sim, q[i], c[j]);
                order[j] = j;
            }
            Array.Sort(scores.ToArray(), order, Comparer<float>.Create((x, y) => y.CompareTo(x)));
            var rel = relevant[queries[i].Id];
            double dcg = 0;
            bool first = true;
            for (int r = 0; r < Math.Min(K, order.Length); r++)
            {
                if (!rel.Contains(corpus[order[r]].Id)) continue;
                dcg += 1 / Math.Log2(r + 2);
                if (first)
                {
                    hits++;
                    mrr += 1.0 / (r + 1);
                    first = false;
                }
            }
            double idcg = 0;
            for (int r = 0; r < Math.Min(K, rel.Count); r++) idcg += 1 / Math.Log2(r + 2);
            ndcg += idcg > 0 ? dcg / idcg : 0;
        }
        int n = Math.Max(1, queries.Count);
        return new Dictionary<string, double>
        {
            [$"eval_{Name}_hit_rate@10"] = hits / n,
            [$"eval_{Name}_mrr@10"] = mrr / n,
            [$"eval_{Name}_ndcg@10"] = ndcg / n,
        };
    }
}
