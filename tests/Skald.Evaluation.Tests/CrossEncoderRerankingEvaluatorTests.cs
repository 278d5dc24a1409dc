using System.Text.Json;
using Skald.Evaluation.Evaluators;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <see cref="CrossEncoderRerankingEvaluator"/> is sentence-transformers' CrossEncoderRerankingEvaluator: the means of
/// fixtures/cross-encoder-reranking/make_reranking_reference.py's numpy restatement of upstream (MRR@k, sklearn's nDCG@k
/// and average precision, <c>base_*</c> for a first stage's lists, <c>always_rerank_positives</c> both ways), the model
/// being the fixture's table of scores, over the samples given directly and read from the task files
/// <c>skald evaluate --type reranking</c> reads (<c>documents</c> rows and <c>negative</c> rows).
/// </summary>
public sealed class CrossEncoderRerankingEvaluatorTests
{
    private static readonly string Folder = Path.Combine(TestPaths.Fixtures, "cross-encoder-reranking");

    private static readonly JsonElement Reference = ScoreTable.Load(Path.Combine(Folder, "reranking_reference.json"));

    /// <summary>The fixture's model: each (query, document) pair's score from its table.</summary>
    private static float[] Table(IReadOnlyList<(string Query, string Document)> pairs) => ScoreTable.Scores(Reference, pairs);

    private static string[] Texts(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? [e.GetString()!] : [.. e.EnumerateArray().Select(x => x.GetString()!)];

    private static RerankingSample[] Samples(string name) =>
    [
        .. Reference.GetProperty(name).EnumerateArray().Select(s => new RerankingSample(s.GetProperty("query").GetString()!,
            Texts(s.GetProperty("positive")),
            s.TryGetProperty("negative", out var n) ? Texts(n) : null,
            s.TryGetProperty("documents", out var d) ? Texts(d) : null)),
    ];

    private static void AssertExpected(string key, SortedDictionary<string, double> metrics)
    {
        var expected = Reference.GetProperty("expected").GetProperty(key).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), metrics.Keys);
        foreach (var (name, value) in expected) Assert.True(Math.Abs(value - metrics[name]) <= 1e-12, $"{key} {name}: {metrics[name]} != {value}");
    }

    [Theory]
    [InlineData("ranked", 3, true, "ranked_at3")]
    [InlineData("ranked", 3, false, "ranked_at3_listed_only")]
    [InlineData("ranked", 10, true, "ranked_at10")]
    [InlineData("paired", 3, true, "paired_at3")]
    public void TheMeansAreUpstreams(string samples, int atK, bool alwaysRerankPositives, string expected)
    {
        var evaluator = new CrossEncoderRerankingEvaluator(Samples(samples), atK, alwaysRerankPositives);
        AssertExpected(expected, evaluator.Evaluate(Table));
        Assert.Equal($"ndcg@{atK}", evaluator.PrimaryMetric);
    }

    [Theory]
    [InlineData("ranked", 3, true, "ranked_at3")]
    [InlineData("ranked", 3, false, "ranked_at3_listed_only")]
    [InlineData("paired", 3, true, "paired_at3")]
    public void ATaskFileGivesTheSameMeans(string file, int atK, bool alwaysRerankPositives, string expected)
    {
        var samples = CrossEncoderRerankingEvaluator.LoadSamples(Path.Combine(Folder, file + ".jsonl"));
        Assert.Equal(Reference.GetProperty(file).GetArrayLength(), samples.Count);
        AssertExpected(expected, new CrossEncoderRerankingEvaluator(samples, atK, alwaysRerankPositives).Evaluate(Table));
    }

    [Fact]
    public void ASampleWithBothOrNeitherListIsOneLine()
    {
        var e = Assert.Throws<ArgumentException>(() => new CrossEncoderRerankingEvaluator([new RerankingSample("q", ["p"], ["n"]), new RerankingSample("q", ["p"])]));
        Assert.StartsWith("reranking sample 2: give exactly one of negative and documents", e.Message);
    }
}
