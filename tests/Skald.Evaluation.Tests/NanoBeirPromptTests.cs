using Skald.Evaluation.Evaluators;
using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <see cref="NanoBeirEvaluator"/>'s per-dataset prompts, upstream's <c>query_prompts</c> and <c>corpus_prompts</c>
/// dicts: each dataset's queries and documents reach the one model given with that dataset's prompts (views of it, never
/// another model), the scores are those of the reference vectors, and a dict lacking a dataset is one line.
/// </summary>
public sealed class NanoBeirPromptTests
{
    /// <summary>A model that records each embed call's role and prompt, and embeds as <see cref="FakeModel"/> whatever the prompt.</summary>
    private sealed class Recording(FakeModel inner, List<(string Prompt, TextRole Role, string First)> calls, string? query = null, string? document = null) : IEmbeddingModel
    {
        public string Name => "recording";
        public IReadOnlyDictionary<string, string> Metadata => inner.Metadata;
        public int Dimension => inner.Dimension;
        public SimilarityFunction Similarity => inner.Similarity;

        public float[][] Embed(IReadOnlyList<string> texts, TextRole role)
        {
            calls.Add(((role == TextRole.Query ? query : document) ?? "", role, texts[0]));
            return inner.Embed(texts, role);
        }

        public IEmbeddingModel WithPrompts(string? queryPrompt, string? documentPrompt) =>
            new Recording(inner, calls, queryPrompt ?? query, documentPrompt ?? document);

        public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];
    }

    [Fact]
    public void EachDatasetsPromptsReachItsQueriesAndDocumentsThroughOneModel()
    {
        var calls = new List<(string Prompt, TextRole Role, string First)>();
        var model = new Recording(NanoBeirReference.Model(), calls);
        // keys as upstream names the datasets (msmarco) or as the metrics do (NanoSciFact), any case
        var evaluator = new NanoBeirEvaluator(NanoBeirReference.Datasets(),
            queryPrompts: new Dictionary<string, string> { ["msmarco"] = "q-ms: ", ["NanoSciFact"] = "q-sf: " },
            corpusPrompts: new Dictionary<string, string> { ["nanomsmarco"] = "d-ms: ", ["SCIFACT"] = "d-sf: " });
        var result = evaluator.Evaluate(model);
        Assert.Equal(
            [("q-ms: ", TextRole.Query, "NanoMSMARCOq0"), ("d-ms: ", TextRole.Document, "NanoMSMARCOd0"),
             ("q-sf: ", TextRole.Query, "NanoSciFactq0"), ("d-sf: ", TextRole.Document, "NanoSciFactd0")],
            calls.Select(c => (c.Prompt, c.Role, c.First.Split(' ')[0])));
        Assert.Equal("q-ms: ", result.Metadata["NanoMSMARCO.query_prompt"]);
        Assert.Equal("d-sf: ", result.Metadata["NanoSciFact.corpus_prompt"]);
        // the prompts change nothing else: the reference's scores
        foreach (var (key, value) in NanoBeirReference.Expected()) Assert.True(Math.Abs(value - result.Metrics[key]) < 1e-9, $"{key}: {result.Metrics[key]} != {value}");
    }

    [Fact]
    public void WithoutDictsTheModelsOwnPromptsAreUsedAndNoneIsRecorded()
    {
        var calls = new List<(string Prompt, TextRole Role, string First)>();
        var result = new NanoBeirEvaluator(NanoBeirReference.Datasets()).Evaluate(new Recording(NanoBeirReference.Model(), calls, "own-q: ", "own-d: "));
        Assert.All(calls, c => Assert.Equal(c.Role == TextRole.Query ? "own-q: " : "own-d: ", c.Prompt));
        Assert.DoesNotContain(result.Metadata.Keys, k => k.EndsWith("_prompt", StringComparison.Ordinal));
    }

    [Fact]
    public void ADictLackingADatasetIsOneLineAsUpstreamRefusesIt()
    {
        var e = Assert.Throws<EvaluationException>(() => new NanoBeirEvaluator(NanoBeirReference.Datasets(),
            queryPrompts: new Dictionary<string, string> { ["msmarco"] = "q: " }, corpusPrompts: new Dictionary<string, string>()));
        Assert.Equal("NanoBEIR: no query prompt for NanoSciFact; no corpus prompt for NanoMSMARCO, NanoSciFact (a dict of prompts names every dataset, as upstream's)", e.Message);
        var plain = new FakeModel(new() { ["a"] = [1f] });
        Assert.Equal("fake: this model takes no query or document prompts",
            Assert.Throws<EvaluationException>(() => ((IEmbeddingModel)plain).WithPrompts("q: ", null)).Message);
    }
}
