using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Output;

namespace Skald.Training.Tests.Output;

/// <summary>
/// A sparse encoder's sparsity metrics are results of its evaluators as sentence-transformers' card lists them: upstream's
/// Sparse*Evaluator returns them with its other metrics and the card's model-index (format_eval_metrics) lists every
/// metric returned, after the others, named as the others are (<c>Avg Flops</c>); they were left out. Upstream marks none
/// of them lower-is-better (its evaluators' <c>greater_is_better</c> is about the primary metric), so they are plain
/// results, and <c>evaluation.metric_for_best_model</c> may name them (a retrieval one was refused).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseInformationRetrievalEvaluator.py
/// (__call__: metrics.update of the sparsity stats, then store_metrics_in_model_card_data).
/// </remarks>
public sealed class SparseModelIndexTests
{
    private static readonly TextDataset Pairs = new("pairs.jsonl", ["anchor", "positive"],
        [["hvor er ferja", "ferja går klokka sju"], ["når åpner butikken", "butikken åpner klokka ni"]]);

    [Fact]
    public void RetrievalsSparsityMetricsFollowItsOthersInTheModelIndex()
    {
        IEvaluator retrieval = RetrievalEvaluator.FromPairs(Pairs);
        var metrics = new Dictionary<string, double>
        {
            ["eval_pairs_ndcg@10"] = 0.75, ["eval_pairs_query_active_dims"] = 12.5, ["eval_pairs_query_sparsity_ratio"] = 0.99,
            ["eval_pairs_corpus_active_dims"] = 40, ["eval_pairs_corpus_sparsity_ratio"] = 0.98, ["eval_pairs_avg_flops"] = 3.25,
        };
        string yaml = ModelIndex.Yaml("m", [retrieval], metrics)!;
        Assert.Contains("""
                - type: "ndcg@10"
                  value: 0.75
                  name: "Ndcg@10"
                - type: "query_active_dims"
                  value: 12.5
                  name: "Query Active Dims"
                - type: "query_sparsity_ratio"
                  value: 0.99
                  name: "Query Sparsity Ratio"
                - type: "corpus_active_dims"
                  value: 40
                  name: "Corpus Active Dims"
                - type: "corpus_sparsity_ratio"
                  value: 0.98
                  name: "Corpus Sparsity Ratio"
                - type: "avg_flops"
                  value: 3.25
                  name: "Avg Flops"
            """.Replace("\r\n", "\n", StringComparison.Ordinal), yaml);
        Assert.True(retrieval.Provides("eval_pairs_avg_flops"));
        Assert.True(retrieval.Provides("eval_pairs_corpus_active_dims"));
        Assert.False(retrieval.Provides("eval_pairs_dot_avg_flops")); // named without a similarity, as upstream
    }

    [Fact]
    public void PairAndTripletSparsityMetricsAreInTheModelIndexToo()
    {
        IEvaluator pairs = new LabelledPairsEvaluator(["a", "b"], ["c", "d"], [0, 1], binary: true);
        IEvaluator triplets = new TripletEvaluator([["a", "b", "c"]]);
        var metrics = new Dictionary<string, double>
        {
            ["eval_pair_classification_cosine_ap"] = 0.5, ["eval_pair_classification_active_dims"] = 7,
            ["eval_triplet_accuracy"] = 1, ["eval_triplet_negative_sparsity_ratio"] = 0.875,
        };
        string yaml = ModelIndex.Yaml("m", [pairs, triplets], metrics)!;
        Assert.Contains("    - type: \"active_dims\"\n      value: 7\n      name: \"Active Dims\"\n", yaml);
        Assert.Contains("    - type: \"negative_sparsity_ratio\"\n      value: 0.875\n      name: \"Negative Sparsity Ratio\"\n", yaml);
        // a dense model's metrics alone: nothing of sparsity
        Assert.DoesNotContain("active_dims", ModelIndex.Yaml("m", [pairs], new Dictionary<string, double> { ["eval_pair_classification_cosine_ap"] = 0.5 })!);
    }
}
