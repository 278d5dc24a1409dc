using Skald.Models;

namespace Skald.Serving.Tests;

/// <summary>
/// An LLM2Vec model served for retrieval: inputs sent with <c>"input_type": "query"</c> are embedded with the query
/// instruction (<c>skald serve --query-instruction</c>, else the folder's own query prompt) as <c>skald encode
/// --instruction</c> embeds them, other inputs without one. There was no way to give served queries their instruction,
/// and a folder with a query prompt answered such a request 400 ("takes an instruction, not a prompt").
/// </summary>
public sealed class Llm2VecQueryInstructionTests
{
    private const string Text = "Hvor ligger legekontoret?";

    private static float[] Embed(EmbeddingService service, string? inputType) =>
        service.EmbedAsync(new EmbeddingRequest(new EmbeddingInputs([Text], null), "m", false, null) { InputType = inputType })
            .GetAwaiter().GetResult().Embeddings[0];

    private static void Near(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f, $"[{i}] {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void QueriesGetTheInstructionAndOtherInputsNone()
    {
        using var encoder = SentenceEncoder.Load(TestPaths.FixtureModel("llm2vec-xlmr"));
        using var service = new EmbeddingService(encoder, new EmbeddingServiceOptions { QueryInstruction = "Finn avsnittet som svarer" });
        float[] plain = encoder.Encode([Text])[0];
        float[] instructed = encoder.Encode([Text], new EncodeOptions { Instruction = "Finn avsnittet som svarer" })[0];
        Assert.NotEqual(plain, instructed);
        Near(instructed, Embed(service, "query"));
        Near(plain, Embed(service, "document"));
        Near(plain, Embed(service, null));
    }

    [Fact]
    public void AFoldersQueryPromptIsItsInstruction()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "l2v");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(TestPaths.FixtureModel("llm2vec-xlmr"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(folder, "config_sentence_transformers.json"), """{"prompts": {"query": "Finn avsnittet som svarer", "document": ""}}""");
        using var encoder = SentenceEncoder.Load(folder);
        using var service = new EmbeddingService(encoder);
        Near(encoder.Encode([Text], new EncodeOptions { Instruction = "Finn avsnittet som svarer" })[0], Embed(service, "query"));
        Near(encoder.Encode([Text])[0], Embed(service, "document"));
    }

    [Fact]
    public void AQueryInstructionForAnotherModelIsRefused()
    {
        using var encoder = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var e = Assert.Throws<ArgumentException>(() => new EmbeddingService(encoder, new EmbeddingServiceOptions { QueryInstruction = "x" }));
        Assert.Contains("a query instruction is for LLM2Vec models", e.Message);
    }
}
