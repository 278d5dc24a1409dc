using Skald.Evaluation.Evaluators;
using Skald.Models.Modules;
using Skald.Retrieval;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <see cref="NanoBeirEvaluator"/> against a torch/numpy restatement of sentence-transformers' NanoBEIREvaluator
/// (fixtures/nanobeir/make_nanobeir_reference.py): two NanoBEIR-shaped datasets with an empty document, an empty
/// query, a query without judgements and a judged document missing from the corpus, scored by a model whose vectors
/// are the reference's, under each similarity a model can name; qrels rows listing several documents; and the
/// dataset names as upstream's.
/// </summary>
public sealed class NanoBeirTests
{
    [Fact]
    public void EveryMetricAndMeanIsUpstreams()
    {
        var data = NanoBeirReference.Datasets();
        Assert.Equal([4, 3], data.Select(d => d.Queries.Count)); // the empty query and the unjudged one are not evaluated
        var result = new NanoBeirEvaluator(data).Evaluate(NanoBeirReference.Model());
        var expected = NanoBeirReference.Expected();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), result.Metrics.Keys);
        foreach (var (key, value) in expected) Assert.True(Math.Abs(value - result.Metrics[key]) < 1e-9, $"{key}: {result.Metrics[key]} != {value}");
        Assert.Equal("NanoBEIR_mean", result.Task);
        Assert.Equal("NanoBEIR_mean_cosine_ndcg@10", result.MainMetric);
        Assert.Equal(expected["NanoBEIR_mean_cosine_ndcg@10"], result.MainScore, 9);
        Assert.Equal("13", result.Metadata["NanoMSMARCO.documents"]);
    }

    [Theory]
    [InlineData(SimilarityFunction.Dot, "dot")]
    [InlineData(SimilarityFunction.Euclidean, "euclidean")]
    [InlineData(SimilarityFunction.Manhattan, "manhattan")]
    public void AModelsOwnSimilarityNamesAndRanksEveryMetricAsUpstreams(SimilarityFunction similarity, string name)
    {
        // upstream's score_functions default to {model.similarity_fn_name: model.similarity}: the raw vectors' dot product
        // or negated distance, never cosine, under that name
        var result = new NanoBeirEvaluator(NanoBeirReference.Datasets()).Evaluate(NanoBeirReference.Model(similarity));
        var expected = NanoBeirReference.Expected(name);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), result.Metrics.Keys);
        foreach (var (key, value) in expected) Assert.True(Math.Abs(value - result.Metrics[key]) < 1e-9, $"{key}: {result.Metrics[key]} != {value}");
        Assert.Equal($"NanoBEIR_mean_{name}_ndcg@10", result.MainMetric);
        Assert.Equal(expected[result.MainMetric], result.MainScore, 9);
    }

    [Fact]
    public void AQrelsRowListingDocumentsJudgesEachOfThem()
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "corpus.jsonl"), "{\"_id\":\"d1\",\"text\":\"a\"}\n{\"_id\":\"d2\",\"text\":\"b\"}\n{\"_id\":\"7\",\"text\":\"c\"}\n");
        File.WriteAllText(Path.Combine(dir, "queries.jsonl"), "{\"_id\":\"q1\",\"text\":\"x\"}\n{\"_id\":\"q2\",\"text\":\"y\"}\n");
        string qrels = Path.Combine(dir, "qrels.jsonl");
        NanoBeirData Read() => NanoBeirData.Read("NanoX", [Path.Combine(dir, "corpus.jsonl")], [Path.Combine(dir, "queries.jsonl")], [qrels]);
        File.WriteAllText(qrels, "{\"query-id\":\"q1\",\"corpus-id\":[\"d1\",7]}\n{\"query-id\":\"q1\",\"corpus-id\":\"d2\"}\n{\"query-id\":\"q2\",\"corpus-id\":[\"d2\"]}\n");
        var data = Read();
        Assert.Equal(["q1", "q2"], data.Queries.Select(q => q.Id));
        Assert.Equal(["7", "d1", "d2"], data.Relevant[0].Order(StringComparer.Ordinal));
        Assert.Equal(["d2"], data.Relevant[1]);

        File.WriteAllText(qrels, "{\"query-id\":\"q1\",\"corpus-id\":\"d1\"}\n{\"query-id\":\"q2\",\"corpus-id\":[]}\n");
        Assert.Equal($"{qrels}:2: field \"corpus-id\" is an empty list (expected a document id or a list of them)", Assert.Throws<EvaluationException>(Read).Message);
        File.WriteAllText(qrels, "{\"query-id\":\"q1\",\"corpus-id\":[\"d1\",{\"id\":\"d2\"}]}\n");
        Assert.Equal($"{qrels}:1: field \"corpus-id\" lists {{\"id\":\"d2\"}}, not a document id (expected a document id or a list of them)", Assert.Throws<EvaluationException>(Read).Message);
        File.WriteAllText(qrels, "{\"query-id\":\"q1\",\"corpus-id\":[\"d1\",\"\"]}\n");
        Assert.StartsWith($"{qrels}:1: field \"corpus-id\" lists \"\", not a document id", Assert.Throws<EvaluationException>(Read).Message);
        File.WriteAllText(qrels, "{\"query-id\":\"q1\",\"corpus-id\":true}\n");
        Assert.Equal($"{qrels}:1: field \"corpus-id\" must be a string", Assert.Throws<EvaluationException>(Read).Message);
    }

    [Fact]
    public void ATruncationWidthNamesTheDatasetsAndTheMean()
    {
        var result = new NanoBeirEvaluator(NanoBeirReference.Datasets(), truncateDim: 256).Evaluate(NanoBeirReference.Model());
        Assert.Equal("NanoBEIR_mean_256_cosine_ndcg@10", result.MainMetric);
        Assert.Contains("NanoSciFact_256_cosine_map@100", result.Metrics.Keys);
    }

    [Fact]
    public void NamesAreUpstreamsShortNames()
    {
        Assert.Equal(13, NanoBeirDataset.Parse(null).Count);
        Assert.Equal(["zeta-alpha-ai/NanoMSMARCO", "zeta-alpha-ai/NanoSciFact"], NanoBeirDataset.Parse("MSMARCO, nanoscifact").Select(d => d.HubId));
        var e = Assert.Throws<EvaluationException>(() => NanoBeirDataset.Parse("msmarco,trec-covid"));
        Assert.Equal("NanoBEIR has no dataset \"trec-covid\" (valid: climatefever, dbpedia, fever, fiqa2018, hotpotqa, msmarco, nfcorpus, nq, quoraretrieval, scidocs, arguana, scifact, touche2020)", e.Message);
        Assert.Contains("named twice", Assert.Throws<EvaluationException>(() => NanoBeirDataset.Parse("nq,NQ")).Message);
    }

    [Fact]
    public void AQrelsRowNamingNoQueryIsOneLine()
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "corpus.jsonl"), "{\"_id\":\"d1\",\"text\":\"a\"}\n");
        File.WriteAllText(Path.Combine(dir, "queries.jsonl"), "{\"_id\":\"q1\",\"text\":\"b\"}\n");
        File.WriteAllText(Path.Combine(dir, "qrels.jsonl"), "{\"query-id\":\"q1\"}\n");
        var e = Assert.Throws<EvaluationException>(() => NanoBeirData.Read("NanoX", [Path.Combine(dir, "corpus.jsonl")],
            [Path.Combine(dir, "queries.jsonl")], [Path.Combine(dir, "qrels.jsonl")]));
        Assert.Equal($"{Path.Combine(dir, "qrels.jsonl")}:1: missing field \"corpus-id\"", e.Message);
    }
}
