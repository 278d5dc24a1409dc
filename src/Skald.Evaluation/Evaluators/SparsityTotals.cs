using Skald.Models;
using Skald.Retrieval.Scoring;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// A sparse encoder's sparsity over several retrieval datasets, as SparseNanoBEIREvaluator gathers it: each dataset's
/// own <c>query_*</c> / <c>corpus_*</c> metrics and <c>avg_flops</c>, and the collection's, whose active dims and ratios
/// weigh each dataset by its queries (documents) and whose <c>avg_flops</c> pools the per-dimension counts of every
/// query and document (not a mean of the datasets' FLOPs).
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseNanoBEIREvaluator.py</remarks>
internal sealed class SparsityTotals(int dimension)
{
    private readonly long[] queryCounts = new long[dimension], documentCounts = new long[dimension];
    private long queries, documents;
    private readonly List<(SparsityStatistics Queries, int QueryCount, SparsityStatistics Documents, int DocumentCount)> datasets = [];

    /// <summary>Adds one dataset's rows and sets its metrics under <paramref name="prefix"/> (<c>NanoMSMARCO_</c>).</summary>
    public void Add(IDictionary<string, double> metrics, string prefix, float[][] queryRows, float[][] documentRows)
    {
        var queryStatistics = SparseEmbedding.Sparsity(queryRows, dimension);
        var documentStatistics = SparseEmbedding.Sparsity(documentRows, dimension);
        datasets.Add((queryStatistics, queryRows.Length, documentStatistics, documentRows.Length));
        SparsityMetrics.Add(metrics, prefix + "query_", queryStatistics);
        SparsityMetrics.Add(metrics, prefix + "corpus_", documentStatistics);
        long[] q = new long[dimension], d = new long[dimension];
        SparsityMetrics.CountActive(queryRows, q);
        SparsityMetrics.CountActive(documentRows, d);
        metrics[prefix + SparsityMetrics.AverageFlops] = SparsityMetrics.AverageFlopsOf(q, queryRows.Length, d, documentRows.Length);
        for (int i = 0; i < dimension; i++)
        {
            queryCounts[i] += q[i];
            documentCounts[i] += d[i];
        }
        queries += queryRows.Length;
        documents += documentRows.Length;
    }

    /// <summary>Sets the collection's metrics under <paramref name="prefix"/> (<c>NanoBEIR_mean_</c>).</summary>
    public void AddMeans(IDictionary<string, double> metrics, string prefix)
    {
        SparsityMetrics.Add(metrics, prefix + "query_", Weighted(datasets.Select(d => (d.Queries, d.QueryCount))));
        SparsityMetrics.Add(metrics, prefix + "corpus_", Weighted(datasets.Select(d => (d.Documents, d.DocumentCount))));
        metrics[prefix + SparsityMetrics.AverageFlops] = SparsityMetrics.AverageFlopsOf(queryCounts, queries, documentCounts, documents);
    }

    /// <summary>Each statistic's mean over the datasets, weighed by their row counts.</summary>
    private static SparsityStatistics Weighted(IEnumerable<(SparsityStatistics Statistics, int Count)> parts)
    {
        double active = 0, ratio = 0, rows = 0;
        foreach (var (s, n) in parts)
        {
            active += s.ActiveDims * n;
            ratio += s.SparsityRatio * n;
            rows += n;
        }
        return rows == 0 ? new SparsityStatistics(0, 1) : new SparsityStatistics(active / rows, ratio / rows);
    }
}
