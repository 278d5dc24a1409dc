using Microsoft.Extensions.AI;

namespace Skald.Models.Tests;

/// <summary>
/// EncodeQuery / EncodeDocument and the embedding generators' <c>input_type</c>, as sentence-transformers v5's
/// encode_query and encode_document: the role's prompt when none is given (the fixture bert-cased-mean has
/// <c>{"query": "query: ", "passage": "passage: "}</c>), none for a model without one, a given prompt kept.
/// </summary>
public sealed class EncodeRoleTests
{
    private static readonly string[] Texts = ["Når må ferien avtales?", "Ferien avtales med nærmeste leder innen 1. april."];

    [Fact]
    public void QueriesAndDocumentsTakeTheModelsPromptsAsSentenceTransformersGivesThem()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var plain = model.Encode(Texts);
        var query = model.EncodeQuery(Texts);
        var document = model.EncodeDocument(Texts);
        Assert.Equal(model.Encode(Texts, new EncodeOptions { Prompt = "query: " }), query);
        Assert.Equal(model.Encode(Texts, new EncodeOptions { Prompt = "passage: " }), document); // no "document": "passage"
        Assert.NotEqual(plain[0], query[0]);
        Assert.NotEqual(query[0], document[0]);
        // a prompt the caller gives wins, as encode_query(prompt=...) keeps it
        Assert.Equal(model.Encode(Texts, new EncodeOptions { Prompt = "spørsmål: " }), model.EncodeQuery(Texts, new EncodeOptions { Prompt = "spørsmål: " }));
    }

    [Fact]
    public void AModelWithoutPromptsEmbedsQueriesAsPlainTexts()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-uncased-max")); // "prompts": {}
        Assert.Equal(model.Encode(Texts), model.EncodeQuery(Texts));
        Assert.Equal(model.Encode(Texts), model.EncodeDocument(Texts));
    }

    [Fact]
    public void AnLlm2VecModelTakesItsQueryPromptAsTheInstruction()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "l2v");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(TestPaths.FixtureModel("llm2vec-xlmr"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(folder, "config_sentence_transformers.json"), """{"prompts": {"query": "Finn avsnittet som svarer", "document": ""}}""");
        using var model = SentenceEncoder.Load(folder);
        Assert.Equal(model.Encode(Texts, new EncodeOptions { Instruction = "Finn avsnittet som svarer" }), model.EncodeQuery(Texts));
        Assert.Equal(model.Encode(Texts), model.EncodeDocument(Texts)); // an empty prompt is none
    }

    [Fact]
    public async Task TheGeneratorsInputTypeEmbedsAsEncodeQueryAndEncodeDocument()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using var generator = new SkaldEmbeddingGenerator(model);
        static EmbeddingGenerationOptions As(object? role, int? dimensions = null) =>
            new() { Dimensions = dimensions, AdditionalProperties = new() { ["input_type"] = role } };

        var query = await generator.GenerateAsync(Texts, As("query"));
        var document = await generator.GenerateAsync(Texts, As("document"));
        var passage = await generator.GenerateAsync(Texts, As("passage"));
        var none = await generator.GenerateAsync(Texts, As(null));
        var expectedQuery = model.Encode(Texts, new EncodeOptions { Prompt = "query: " });
        var expectedDocument = model.Encode(Texts, new EncodeOptions { Prompt = "passage: " });
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(expectedQuery[i], query[i].Vector.ToArray());
            Assert.Equal(expectedDocument[i], document[i].Vector.ToArray());
            Assert.Equal(expectedDocument[i], passage[i].Vector.ToArray());
            Assert.Equal(model.Encode(Texts)[i], none[i].Vector.ToArray());
        }
        // the prompt's tokens are counted: "query: " adds tokens to each text
        long plainTokens = Texts.Sum(t => (long)model.Tokenizer.Encode(t, true).Ids.Length);
        Assert.True(query.Usage!.InputTokenCount > plainTokens);
        // with Dimensions too: the query embedding's first values at unit length
        var shortQuery = (await generator.GenerateAsync(Texts, As("query", 8)))[0].Vector.ToArray();
        var head = expectedQuery[0][..8];
        float norm = MathF.Sqrt(head.Sum(v => v * v));
        for (int d = 0; d < 8; d++) Assert.Equal(head[d] / norm, shortQuery[d], 1e-6f);

        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateAsync(Texts, As("question")));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("input_type", e.Message);
    }
}
