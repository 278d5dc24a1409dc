using Skald.Retrieval;
using Skald.Retrieval.Metrics;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// sentence-transformers' ReciprocalRankFusionEvaluator: two retrievers' ranked documents per query (a dense and a
/// sparse one) scored each and fused by reciprocal rank, reporting <c>dense_map</c>, <c>dense_mrr@k</c>,
/// <c>dense_ndcg@k</c>, the same with <c>sparse_</c>, and the fusion's <c>map</c>, <c>mrr@k</c> and <c>ndcg@k</c> (the
/// primary metric), each the mean over the queries, as upstream computes them:
/// <list type="bullet">
/// <item>a document is relevant when it is one of the dense sample's <c>positive</c>; a list holding none scores 0 on all
/// three; otherwise the positives it lacks are counted as ranked right after its last document, so recall is never
/// short (upstream appends them to the relevance list), and MAP, MRR@k and nDCG@k (binary gains, log2 discount) are
/// taken over that list (<see cref="RankingMetrics.Compute"/>);</item>
/// <item>fusion: each document of either list scores 1/(k + rank) + 1/(k + rank in the other list), ranks counted from
/// 0 and a document a list lacks ranked at that list's length (upstream's, not the paper's 1-based ranks over the lists
/// holding it, which Skald's hybrid search uses, <see cref="Skald.Retrieval.Search.Fusion"/>); k = 60 by default. Equal
/// fused scores keep the order of first appearance, the dense list first (upstream leaves it to a set's order).</item>
/// </list>
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/ReciprocalRankFusionEvaluator.py</remarks>
public sealed class ReciprocalRankFusionEvaluator
{
    private readonly IReadOnlyList<FusionSample> dense, sparse;
    private readonly int atK, rrfK;

    /// <summary>
    /// An evaluator of <paramref name="dense"/> and <paramref name="sparse"/>, the same queries in the same order (one
    /// line naming the first place where they differ); <paramref name="atK"/> is the cut-off of MRR and nDCG (upstream's
    /// <c>at_k</c>, 10), <paramref name="rrfK"/> the fusion's constant (upstream's <c>rrf_k</c>, 60).
    /// </summary>
    public ReciprocalRankFusionEvaluator(IReadOnlyList<FusionSample> dense, IReadOnlyList<FusionSample> sparse, int atK = 10, int rrfK = 60)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(sparse);
        ArgumentOutOfRangeException.ThrowIfLessThan(atK, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rrfK);
        if (dense.Count != sparse.Count)
            throw new EvaluationException($"reciprocal rank fusion: {dense.Count} dense samples and {sparse.Count} sparse ones; each query needs one of each");
        for (int i = 0; i < dense.Count; i++)
        {
            if (dense[i].QueryId != sparse[i].QueryId)
                throw new EvaluationException($"reciprocal rank fusion: sample {i + 1} is query {dense[i].QueryId} in the dense samples and {sparse[i].QueryId} in the sparse ones");
        }
        this.dense = dense;
        this.sparse = sparse;
        this.atK = atK;
        this.rrfK = rrfK;
    }

    /// <summary>The fusion's nDCG at the cut-off, upstream's <c>primary_metric</c>.</summary>
    public string PrimaryMetric => $"ndcg@{atK}";

    /// <summary>The nine means (NaN without samples, as numpy's mean of nothing).</summary>
    public SortedDictionary<string, double> Evaluate()
    {
        var sums = new SortedDictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < dense.Count; i++)
        {
            var positive = dense[i].Positive;
            Add(sums, "dense_", dense[i].Documents, positive);
            Add(sums, "sparse_", sparse[i].Documents, positive);
            Add(sums, "", Fuse(dense[i].Documents, sparse[i].Documents), positive);
        }
        var means = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (string prefix in new[] { "dense_", "sparse_", "" })
            foreach (string metric in new[] { "map", $"mrr@{atK}", $"ndcg@{atK}" })
                means[prefix + metric] = dense.Count == 0 ? double.NaN : sums.GetValueOrDefault(prefix + metric) / dense.Count;
        return means;
    }

    /// <summary>Adds one list's MAP, MRR@k and nDCG@k to <paramref name="sums"/> (<see cref="RankedListMetrics.FirstStage"/>).</summary>
    private void Add(SortedDictionary<string, double> sums, string prefix, IReadOnlyList<string> documents, IReadOnlyList<string> positive)
    {
        var (map, mrr, ndcg) = RankedListMetrics.FirstStage(documents, positive, atK);
        sums[prefix + "map"] = sums.GetValueOrDefault(prefix + "map") + map;
        sums[prefix + $"mrr@{atK}"] = sums.GetValueOrDefault(prefix + $"mrr@{atK}") + mrr;
        sums[prefix + $"ndcg@{atK}"] = sums.GetValueOrDefault(prefix + $"ndcg@{atK}") + ndcg;
    }

    /// <summary>The documents of both lists by fused score, best first (ties in order of first appearance, dense first).</summary>
    private List<string> Fuse(IReadOnlyList<string> denseDocuments, IReadOnlyList<string> sparseDocuments)
    {
        var denseRank = Ranks(denseDocuments);
        var sparseRank = Ranks(sparseDocuments);
        var union = denseDocuments.Concat(sparseDocuments).Distinct(StringComparer.Ordinal).ToList();
        double Score(string d) => 1.0 / (rrfK + denseRank.GetValueOrDefault(d, denseDocuments.Count))
            + 1.0 / (rrfK + sparseRank.GetValueOrDefault(d, sparseDocuments.Count));
        return [.. union.Select((d, i) => (d, i, s: Score(d))).OrderByDescending(x => x.s).ThenBy(x => x.i).Select(x => x.d)];
    }

    /// <summary>Each document's 0-based rank in <paramref name="documents"/> (its last place when listed twice, as upstream's dict keeps).</summary>
    private static Dictionary<string, int> Ranks(IReadOnlyList<string> documents)
    {
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < documents.Count; r++) ranks[documents[r]] = r;
        return ranks;
    }
}
