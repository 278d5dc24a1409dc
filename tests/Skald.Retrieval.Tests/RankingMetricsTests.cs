using Skald.Retrieval.Metrics;

namespace Skald.Retrieval.Tests;

public sealed class RankingMetricsTests
{
    private static readonly Dictionary<string, int> Qrels = new() { ["d1"] = 1, ["d3"] = 2 };
    private static readonly string[] Ranking = ["d2", "d1", "d3", "d4"];

    [Fact]
    public void GradedCaseMatchesHandComputation()
    {
        var m = RankingMetrics.Compute(Ranking, Qrels, 3);
        // DCG = 1/log2(3) + 2/log2(4); IDCG = 2/log2(2) + 1/log2(3)
        double dcg = 1 / Math.Log2(3) + 1, idcg = 2 + 1 / Math.Log2(3);
        Assert.Equal(dcg / idcg, m.Ndcg, 12);
        Assert.Equal(0.619914, m.Ndcg, 5);
        Assert.Equal((1.0 / 2 + 2.0 / 3) / 2, m.Map, 12);
        Assert.Equal(2.0 / 3, m.Precision, 12);
        Assert.Equal(1.0, m.Recall, 12);
        Assert.Equal(0.5, m.Mrr, 12);
        Assert.Equal(1.0, m.Accuracy);
        var at1 = RankingMetrics.Compute(Ranking, Qrels, 1);
        Assert.Equal(0, at1.Ndcg);
        Assert.Equal(0, at1.Precision);
        Assert.Equal(0, at1.Mrr);
        Assert.Equal(0, at1.Accuracy);
    }

    [Fact]
    public void KLargerThanTheRankingDividesPrecisionByK()
    {
        var m = RankingMetrics.Compute(Ranking, Qrels, 10);
        Assert.Equal(0.2, m.Precision, 12); // trec_eval P_10: 2 relevant / 10
        Assert.Equal(1.0, m.Recall, 12);
        Assert.Equal(RankingMetrics.Compute(Ranking, Qrels, 3).Ndcg, m.Ndcg, 12);
    }

    [Fact]
    public void MapDividesByAllRelevantNotByK()
    {
        var qrels = new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 1 };
        var m = RankingMetrics.Compute(["a", "x", "b"], qrels, 1);
        Assert.Equal(1.0 / 3, m.Map, 12);
        Assert.Equal(1.0 / 3, m.Recall, 12);
        var m3 = RankingMetrics.Compute(["a", "x", "b"], qrels, 3);
        Assert.Equal((1 + 2.0 / 3) / 3, m3.Map, 12);
    }

    [Fact]
    public void GradeZeroIsNotRelevantAndIdealUsesOnlyPositiveGrades()
    {
        var qrels = new Dictionary<string, int> { ["a"] = 0, ["b"] = 1 };
        var m = RankingMetrics.Compute(["a", "b"], qrels, 10);
        Assert.Equal(1 / Math.Log2(3), m.Ndcg, 12);
        Assert.Equal(0.5, m.Mrr, 12);
        Assert.Equal(0.5, m.Map, 12);
    }

    [Fact]
    public void QueriesWithoutRelevantDocumentsScoreZeroAndCountInTheMean()
    {
        var qrels = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["q1"] = new Dictionary<string, int> { ["d1"] = 1 },
            ["q2"] = new Dictionary<string, int> { ["d2"] = 0 },
            ["q3"] = new Dictionary<string, int> { ["d1"] = 1 }, // no run at all
        };
        var runs = new Dictionary<string, IReadOnlyList<string>> { ["q1"] = ["d1", "d2"], ["q2"] = ["d2", "d1"] };
        var r = RankingMetrics.Evaluate(runs, qrels);
        Assert.Equal(1.0 / 3, r["ndcg_at_10"], 12);
        Assert.Equal(1.0 / 3, r["mrr_at_10"], 12);
        Assert.Equal(1.0 / 3, r["recall_at_100"], 12);
        Assert.Equal(1.0 / 3, r["map_at_100"], 12);
        Assert.Equal(1.0 / 3, r["accuracy_at_1"], 12);
        Assert.Equal(1.0 / 3, r["hit_rate_at_1"], 12);
        Assert.Equal(1.0 / 3 / 1000, r["precision_at_1000"], 12);
        Assert.Contains("precision_at_1", r.Keys);
    }

    [Fact]
    public void TiesAreBrokenByDocumentIdDescendingAsTrecEval()
    {
        var ranked = RankingMetrics.Rank([("a", 1f), ("b", 1f), ("c", 2f), ("B", 1f)]);
        Assert.Equal(["c", "b", "a", "B"], ranked.Select(r => r.DocId));
        // So a relevant "a" tied with non-relevant "b" lands at rank 2.
        var m = RankingMetrics.Compute([.. ranked.Select(r => r.DocId)], new Dictionary<string, int> { ["a"] = 1 }, 10);
        Assert.Equal(1.0 / 3, m.Mrr, 12);
    }
}
