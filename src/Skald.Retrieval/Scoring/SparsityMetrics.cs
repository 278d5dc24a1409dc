using Skald.Models;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Scoring;

/// <summary>
/// The sparsity metrics sentence-transformers' sparse evaluators add to the metrics of the dense evaluator they extend
/// (SparseBinaryClassification, SparseEmbeddingSimilarity, SparseTriplet, SparseTranslation, SparseMSE, SparseReranking,
/// SparseInformationRetrieval): <c>{prefix}active_dims</c>, the mean non-zero entries of the embedded texts, and
/// <c>{prefix}sparsity_ratio</c>, 1 − that over the vocabulary size (<see cref="SparseEmbedding.Sparsity(IReadOnlyList{float[]}, int)"/>,
/// upstream's <c>SparseEncoder.sparsity</c>), taken after <c>max_active_dims</c> as the model returns the rows. Only a
/// sparse encoder (<see cref="IEmbeddingModel.IsSparse"/>) reports them; a dense model's metrics stay as they were.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseBinaryClassificationEvaluator.py
/// (and the other Sparse*Evaluator.py beside it), https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/SparseEncoder.py (sparsity).
/// </remarks>
public static class SparsityMetrics
{
    /// <summary>The mean active entries' key (after its prefix).</summary>
    public const string ActiveDims = "active_dims";

    /// <summary>The mean share of zeros' key (after its prefix).</summary>
    public const string SparsityRatio = "sparsity_ratio";

    /// <summary>SparseInformationRetrievalEvaluator's expected multiplications of a query-document dot product.</summary>
    public const string AverageFlops = "avg_flops";

    /// <summary>Whether <paramref name="metric"/> (a key without an evaluator's name) is a sparsity metric, which upstream names without a similarity function.</summary>
    public static bool IsSparsityKey(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return metric.EndsWith(ActiveDims, StringComparison.Ordinal) || metric.EndsWith(SparsityRatio, StringComparison.Ordinal) || metric == AverageFlops;
    }

    /// <summary>Sets <c>{prefix}active_dims</c> and <c>{prefix}sparsity_ratio</c> of <paramref name="metrics"/> from <paramref name="statistics"/>.</summary>
    public static void Add(IDictionary<string, double> metrics, string prefix, SparsityStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        metrics[prefix + ActiveDims] = statistics.ActiveDims;
        metrics[prefix + SparsityRatio] = statistics.SparsityRatio;
    }

    /// <summary>Adds to <paramref name="counts"/>[i] the number of <paramref name="rows"/> whose entry i is not 0 (upstream's <c>compute_count_vector</c>, summed).</summary>
    public static void CountActive(IReadOnlyList<float[]> rows, long[] counts)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(counts);
        foreach (var row in rows)
            for (int i = 0; i < row.Length; i++)
                if (row[i] != 0f) counts[i]++;
    }

    /// <summary>
    /// SparseInformationRetrievalEvaluator's <c>avg_flops</c>: Σ over the dimensions of (queries active there /
    /// <paramref name="queries"/>) · (documents active there / <paramref name="documents"/>); 0 without either.
    /// </summary>
    public static double AverageFlopsOf(IReadOnlyList<long> queryCounts, long queries, IReadOnlyList<long> documentCounts, long documents)
    {
        ArgumentNullException.ThrowIfNull(queryCounts);
        ArgumentNullException.ThrowIfNull(documentCounts);
        if (queries == 0 || documents == 0) return 0;
        double sum = 0;
        for (int i = 0; i < queryCounts.Count; i++) sum += (double)queryCounts[i] * documentCounts[i];
        return sum / ((double)queries * documents);
    }

    /// <summary>
    /// For a sparse <paramref name="model"/>: <see cref="Add"/> of the statistics of <paramref name="rows"/>, the
    /// model's embeddings of the texts upstream embeds in one <c>encode</c> call; nothing for a dense one.
    /// </summary>
    public static void AddIfSparse(IDictionary<string, double> metrics, IEmbeddingModel model, string prefix, IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.IsSparse) Add(metrics, prefix, SparseEmbedding.Sparsity(rows, model.Dimension));
    }
}
