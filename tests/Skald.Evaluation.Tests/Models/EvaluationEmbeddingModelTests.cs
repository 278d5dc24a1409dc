using System.Text.Json;
using Skald.Evaluation.Models;
using Skald.Models;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Tests.Models;

public sealed class EvaluationEmbeddingModelTests
{
    /// <summary>For an LLM2Vec model the query prompt is LLM2Vec's instruction: attended to, left out of pooling.</summary>
    [Fact]
    public void AnLlm2VecModelGetsItsQueryPromptAsAnInstruction()
    {
        string path = TestPaths.FixtureModel("llm2vec-xlmr");
        const string instruction = "Finn avsnittet som svarer på spørsmålet";
        var model = EvaluationEmbeddingModel.Load(path, new EvaluationEmbeddingOptions { QueryPrompt = instruction });
        string[] texts = ["Når går toget til Bergen?", "Hvor ligger legekontoret?"];
        var queries = model.Embed(texts, TextRole.Query);
        var documents = model.Embed(texts, TextRole.Document);
        var encoder = SentenceEncoder.Load(path);
        var expected = encoder.Encode(texts, new EncodeOptions { Instruction = instruction });
        var plain = encoder.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i], queries[i]);
            Assert.Equal(plain[i], documents[i]);
            Assert.NotEqual(plain[i], queries[i]);
        }
    }

    private static List<(string Text, int[] Indices, double[] Values)> Expected(string file) =>
        [.. File.ReadLines(file).Where(l => l.Length > 0).Select(l =>
        {
            var r = JsonDocument.Parse(l).RootElement;
            return (r.GetProperty("text").GetString()!, r.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                r.GetProperty("values").EnumerateArray().Select(x => x.GetDouble()).ToArray());
        })];

    /// <summary>max_active_dims: a CSR model's autoencoder keeps N latents (make_csr.py's k = 4 reference).</summary>
    [Fact]
    public void MaxActiveDimsGivesACsrModelsCodesOfThatManyLatents()
    {
        string path = TestPaths.FixtureModel("csr-bert-tiny");
        var expected = Expected(Path.Combine(path, "expected_k4.jsonl"));
        var model = EvaluationEmbeddingModel.Load(path, new EvaluationEmbeddingOptions { MaxActiveDims = 4 });
        Assert.Equal("4", model.Metadata["max_active_dims"]);
        var rows = model.Embed([.. expected.Select(e => e.Text)], TextRole.Document);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(expected[i].Indices, Enumerable.Range(0, rows[i].Length).Where(j => rows[i][j] != 0f));
            for (int j = 0; j < 4; j++) Assert.Equal(expected[i].Values[j], rows[i][expected[i].Indices[j]], 1e-5);
        }
    }

    /// <summary>max_active_dims: a SPLADE model's vectors keep their N largest entries (the reference's, sorted).</summary>
    [Fact]
    public void MaxActiveDimsPrunesASpladeModelsVectors()
    {
        string path = TestPaths.FixtureModel("splade-bert-tiny");
        var expected = Expected(Path.Combine(path, "expected_max_relu.jsonl")).Take(5).ToList();
        var model = EvaluationEmbeddingModel.Load(path, new EvaluationEmbeddingOptions { MaxActiveDims = 6 });
        var rows = model.Embed([.. expected.Select(e => e.Text)], TextRole.Query);
        for (int i = 0; i < rows.Length; i++)
        {
            var top = expected[i].Indices.Zip(expected[i].Values).OrderByDescending(p => p.Second).Take(6).Select(p => p.First).Order();
            Assert.Equal(top, Enumerable.Range(0, rows[i].Length).Where(j => rows[i][j] != 0f));
        }
    }

    [Fact]
    public void MaxActiveDimsOnADenseModelIsOneLine()
    {
        var e = Assert.Throws<Skald.Retrieval.EvaluationException>(() =>
            EvaluationEmbeddingModel.Load(TestPaths.FixtureModel("bert-cased-mean"), new EvaluationEmbeddingOptions { MaxActiveDims = 4 }));
        Assert.Contains("max_active_dims is for sparse encoders", e.Message);
    }
}
