using System.Text.Json;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <see cref="CrossEncoderNanoBeirEvaluator"/> is sentence-transformers' CrossEncoderNanoBEIREvaluator over local
/// retrieval tasks: every metric equals fixtures/cross-encoder-nanobeir/make_nanobeir_reference.py's restatement of
/// upstream (BM25's first <c>rerank_k</c> documents per query reranked by the fixture's table of scores, each dataset
/// scored as CrossEncoderRerankingEvaluator scores <c>documents</c> samples, the means over the datasets named
/// <c>NanoBEIR_R{k}_mean_*</c>), at three cut-offs, with upstream's <c>always_rerank_positives</c> (every relevant
/// document reranked) and without it (only BM25's documents).
/// </summary>
public sealed class CrossEncoderNanoBeirEvaluatorTests
{
    private static readonly string Folder = Path.Combine(TestPaths.Fixtures, "cross-encoder-nanobeir");

    private static readonly JsonElement Reference = ScoreTable.Load(Path.Combine(Folder, "nanobeir_reference.json"));

    private static NanoBeirData[] Datasets => [.. new[] { "alpha", "beta" }.Select(n => NanoBeirData.FromTask(TaskDefinition.FromPath(Path.Combine(Folder, n))))];

    [Theory]
    [InlineData(3, 2, true, "r3_at2")]
    [InlineData(5, 10, true, "r5_at10")]
    [InlineData(3, 2, false, "r3_at2_listed_only")]
    [InlineData(5, 3, false, "r5_at3_listed_only")]
    public void TheMetricsAreTheReferences(int rerankK, int atK, bool alwaysRerankPositives, string key)
    {
        var evaluator = new CrossEncoderNanoBeirEvaluator(Datasets, rerankK, atK, alwaysRerankPositives);
        Assert.Equal($"NanoBEIR_R{rerankK}_mean", evaluator.Name);
        Assert.Equal($"NanoBEIR_R{rerankK}_mean_ndcg@{atK}", evaluator.PrimaryMetric);
        Assert.All(evaluator.Datasets, d => Assert.All(d.Samples, s => Assert.True(s.Documents!.Count <= rerankK)));
        var metrics = evaluator.Evaluate(pairs => ScoreTable.Scores(Reference, pairs));
        var expected = Reference.GetProperty("expected").GetProperty(key).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), metrics.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, value) in expected) Assert.True(Math.Abs(value - metrics[name]) <= 1e-12, $"{key} {name}: {metrics[name]} != {value}");
    }

    [Fact]
    public void ATaskOfAnotherKindOrADatasetGivenTwiceIsOneLine()
    {
        string sts = Path.Combine(TestPaths.NewTempDir(), "sts.tsv");
        File.WriteAllText(sts, "sentence1\tsentence2\tscore\na\tb\t1\n");
        var e = Assert.Throws<EvaluationException>(() => NanoBeirData.FromTask(TaskDefinition.FromPath(sts)));
        Assert.StartsWith($"{sts}: a sts task;", e.Message);
        var alpha = Datasets[0];
        Assert.Contains("alpha is given twice", Assert.Throws<EvaluationException>(() => new CrossEncoderNanoBeirEvaluator([alpha, alpha])).Message);
    }
}
