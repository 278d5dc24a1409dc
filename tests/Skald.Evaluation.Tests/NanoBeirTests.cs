using System.Text.Json;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <see cref="NanoBeirEvaluator"/> against a torch/numpy restatement of sentence-transformers' NanoBEIREvaluator
/// (fixtures/nanobeir/make_nanobeir_reference.py): two NanoBEIR-shaped datasets with an empty document, an empty
/// query, a query without judgements and a judged document missing from the corpus, scored by a model whose vectors
/// are the reference's; and the dataset names as upstream's.
/// </summary>
public sealed class NanoBeirTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "nanobeir", "nanobeir_reference.json"))).RootElement;

    private static string Lines(string dir, string name, JsonElement rows)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, rows.EnumerateArray().Select(r => JsonSerializer.Serialize(r)));
        return path;
    }

    private static NanoBeirData Dataset(JsonElement d)
    {
        string dir = TestPaths.NewTempDir();
        return NanoBeirData.Read(d.GetProperty("name").GetString()!, [Lines(dir, "corpus.jsonl", d.GetProperty("corpus"))],
            [Lines(dir, "queries.jsonl", d.GetProperty("queries"))], [Lines(dir, "qrels.jsonl", d.GetProperty("qrels"))]);
    }

    private static FakeModel Model() => new(Reference.GetProperty("vectors").EnumerateObject()
        .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).ToArray()));

    [Fact]
    public void EveryMetricAndMeanIsUpstreams()
    {
        var data = Reference.GetProperty("datasets").EnumerateArray().Select(Dataset).ToList();
        Assert.Equal([4, 3], data.Select(d => d.Queries.Count)); // the empty query and the unjudged one are not evaluated
        var result = new NanoBeirEvaluator(data).Evaluate(Model());
        var expected = Reference.GetProperty("expected").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), result.Metrics.Keys);
        foreach (var (key, value) in expected) Assert.True(Math.Abs(value - result.Metrics[key]) < 1e-9, $"{key}: {result.Metrics[key]} != {value}");
        Assert.Equal("NanoBEIR_mean", result.Task);
        Assert.Equal("NanoBEIR_mean_cosine_ndcg@10", result.MainMetric);
        Assert.Equal(expected["NanoBEIR_mean_cosine_ndcg@10"], result.MainScore, 9);
        Assert.Equal("13", result.Metadata["NanoMSMARCO.documents"]);
    }

    [Fact]
    public void ATruncationWidthNamesTheDatasetsAndTheMean()
    {
        var data = Reference.GetProperty("datasets").EnumerateArray().Select(Dataset).ToList();
        var result = new NanoBeirEvaluator(data, truncateDim: 256).Evaluate(Model());
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
