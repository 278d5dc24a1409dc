using System.Text.Json;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <see cref="ReciprocalRankFusionEvaluator"/> is sentence-transformers' ReciprocalRankFusionEvaluator: the dense,
/// sparse and fused MAP, MRR@k and nDCG@k of fixtures/sparse-evaluators/make_sparse_evaluators_reference.py's numpy
/// restatement of upstream (0-based ranks, a missing document at the list's length, missing positives counted after
/// the list), and samples that do not pair up are one line.
/// </summary>
public sealed class ReciprocalRankFusionEvaluatorTests
{
    private static readonly JsonElement Rrf =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "sparse-evaluators", "sparse_evaluators_reference.json"))).RootElement;

    private static string[] Strings(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(x => x.GetString()!)];

    private static FusionSample[] Samples(string side) =>
    [
        .. Rrf.GetProperty("rrf").GetProperty(side).EnumerateArray().Select(s => new FusionSample(s.GetProperty("query_id").GetString()!,
            s.GetProperty("query").GetString()!, s.TryGetProperty("positive", out _) ? Strings(s, "positive") : [], Strings(s, "documents"))),
    ];

    [Fact]
    public void TheNineMeansAreUpstreams()
    {
        var settings = Rrf.GetProperty("rrf");
        var evaluator = new ReciprocalRankFusionEvaluator(Samples("dense"), Samples("sparse"), settings.GetProperty("at_k").GetInt32(), settings.GetProperty("rrf_k").GetInt32());
        var metrics = evaluator.Evaluate();
        var expected = Rrf.GetProperty("expected").GetProperty("rrf").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), metrics.Keys);
        foreach (var (key, value) in expected) Assert.True(Math.Abs(value - metrics[key]) <= 1e-12, $"{key}: {metrics[key]} != {value}");
        Assert.Equal("ndcg@3", evaluator.PrimaryMetric);
    }

    [Fact]
    public void SamplesThatDoNotPairUpAreOneLine()
    {
        var dense = Samples("dense");
        var e = Assert.Throws<EvaluationException>(() => new ReciprocalRankFusionEvaluator(dense, dense[..3]));
        Assert.Equal("reciprocal rank fusion: 4 dense samples and 3 sparse ones; each query needs one of each", e.Message);
        e = Assert.Throws<EvaluationException>(() => new ReciprocalRankFusionEvaluator(dense, [dense[0], dense[2], dense[1], dense[3]]));
        Assert.Equal("reciprocal rank fusion: sample 2 is query b in the dense samples and c in the sparse ones", e.Message);
    }
}
