using System.Text.Json;

namespace Skald.Models.Tests;

/// <summary>
/// <see cref="SentenceEncoder.EncodeTokens"/>, sentence-transformers' <c>encode(output_value="token_embeddings")</c>,
/// against each fixture's PyTorch reference (fixtures/models/make_models.py: the plain-PyTorch model's
/// last_hidden_state of each text run alone, expected_tokens.jsonl): batched with padding, every real token's vector
/// and no padding row.
/// </summary>
public sealed class EncodeTokensTests
{
    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("xlmr-cls-f16")]
    public void TokenEmbeddingsAreTheReferencesLastHiddenState(string name)
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel(name));
        var expected = File.ReadLines(Path.Combine(TestPaths.FixtureModel(name), "expected_tokens.jsonl"))
            .Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var texts = expected.Select(e => e.GetProperty("text").GetString()!).ToArray();
        Assert.True(expected.Select(e => e.GetProperty("ids").GetArrayLength()).Distinct().Count() > 1, "texts of different lengths, so a batch pads");
        var tokens = model.EncodeTokens(texts, new EncodeOptions { BatchSize = 8 });
        float worst = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            var want = expected[i].GetProperty("last_hidden_state").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
            Assert.Equal(want.Length, tokens[i].Length);
            for (int t = 0; t < want.Length; t++)
            {
                Assert.Equal(model.Transformer.HiddenSize, tokens[i][t].Length);
                for (int j = 0; j < want[t].Length; j++) worst = Math.Max(worst, Math.Abs(want[t][j] - tokens[i][t][j]));
            }
        }
        Assert.True(worst <= 2e-5f, $"{name}: max |diff| {worst:E2}");
    }

    [Fact]
    public void PromptTokensAreIncludedAndEachTextGetsItsOwnTokens()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        string[] texts = ["Hei!", "Skald lager vektorer av tekst.", ""];
        var options = new EncodeOptions { Prompt = "spørsmål: ", BatchSize = 2 };
        var tokens = model.EncodeTokens(texts, options);
        var ids = model.Tokenize(texts, options);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(ids[i].Ids.Length, tokens[i].Length);
        var alone = model.EncodeTokens([texts[0]], options)[0];
        for (int t = 0; t < alone.Length; t++)
        {
            for (int j = 0; j < alone[t].Length; j++) Assert.Equal(alone[t][j], tokens[0][t][j], 5);
        }
        Assert.Empty(model.EncodeTokens([]));
        Assert.Throws<ArgumentNullException>("texts", () => model.EncodeTokens(null!));
        Assert.Throws<ArgumentOutOfRangeException>("options", () => model.EncodeTokens(texts, new EncodeOptions { BatchSize = 0 }));
    }
}
