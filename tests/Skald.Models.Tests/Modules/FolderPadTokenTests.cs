using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Models.Generation;
using Skald.Tokenizers;
using static Skald.Models.Tests.Modules.DecoderFolderTests;

namespace Skald.Models.Tests.Modules;

/// <summary>
/// A model folder's batches are padded with the pad token transformers' AutoTokenizer pads with: tokenizer_config.json's
/// <c>pad_token</c>, else special_tokens_map.json's, before tokenizer.json's padding section (<see cref="Tokenizer.FromFolder"/>,
/// the reader <c>skald merge</c> shares). The expected ids are looked up by hand in tokenizer.json's vocabulary (the node
/// oracle cannot read tokenizer_config.json); the embeddings do not change, the attention mask hiding the padding.
/// </summary>
public sealed class FolderPadTokenTests
{
    private const string Fixture = "bert-cased-mean";

    // The id tokenizer.json's WordPiece vocabulary gives `token`.
    private static int VocabId(string folder, string token) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer.json")))!["model"]!["vocab"]![token]!.GetValue<int>();

    [Fact]
    public void ThePadTokenTokenizerConfigNamesPadsBatchesAndLeavesTheEmbeddings()
    {
        string dir = TestPaths.CopyOfFixtureModel(Fixture);
        EditJson(Path.Combine(dir, "tokenizer_config.json"), o => o["pad_token"] = "[MASK]");
        // tokenizer.json's own padding section names [PAD]: tokenizer_config.json's pad_token comes first, as in transformers
        EditJson(Path.Combine(dir, "tokenizer.json"), o => o["padding"] = JsonNode.Parse(
            """{"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": null, "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}"""));
        int mask = VocabId(dir, "[MASK]");
        Assert.NotEqual(VocabId(dir, "[PAD]"), mask);

        var model = SentenceEncoder.Load(dir);
        var reference = SentenceEncoder.Load(TestPaths.FixtureModel(Fixture)); // pads with [PAD]
        Assert.Equal(mask, model.PadId);
        Assert.Equal("[MASK]", model.Tokenizer.PadToken);
        Assert.Equal(VocabId(dir, "[PAD]"), reference.PadId);

        string[] texts = ["Hei", "Fjorden ligg stille under fjellet i kveld."];
        var encodings = model.Prepare(texts).Encodings;
        var batch = TokenBatch.Pad(encodings, model.PadId, model.PaddingSide);
        int longest = encodings.Max(e => e.Ids.Length);
        Assert.True(encodings[0].Ids.Length < longest);
        for (int b = 0; b < texts.Length; b++)
        {
            int[] expected = [.. encodings[b].Ids, .. Enumerable.Repeat(mask, longest - encodings[b].Ids.Length)]; // HF: right padding
            Assert.Equal(expected, batch.Ids.AsSpan(b * batch.Seq, batch.Seq).ToArray());
        }

        var padded = model.Encode(texts, new EncodeOptions { BatchSize = 2 });
        var before = reference.Encode(texts, new EncodeOptions { BatchSize = 2 });
        var alone = reference.Encode(texts, new EncodeOptions { BatchSize = 1 });
        for (int i = 0; i < texts.Length; i++)
        {
            for (int j = 0; j < model.Dimension; j++)
            {
                Assert.True(Math.Abs(padded[i][j] - before[i][j]) <= 1e-6f, $"text {i} [{j}]: {padded[i][j]} vs {before[i][j]}");
                Assert.True(Math.Abs(padded[i][j] - alone[i][j]) <= 2e-6f, $"text {i} [{j}] unpadded: {padded[i][j]} vs {alone[i][j]}");
            }
        }
    }

    [Fact]
    public void AGeneratorLeftPadsWithThePadTokenTokenizerConfigNamesAndGeneratesTheSame()
    {
        string dir = TestPaths.CopyOfFixtureModel("decoder-qwen2");
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"pad_token": "<|im_start|>"}""");
        int imStart = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")))!["added_tokens"]!.AsArray()
            .Single(t => t!["content"]!.GetValue<string>() == "<|im_start|>")!["id"]!.GetValue<int>();
        using var generator = TextGenerator.Load(dir);
        using var reference = TextGenerator.Load(TestPaths.FixtureModel("decoder-qwen2")); // no pad token: pads with eos
        Assert.Equal(imStart, generator.Tokenizer.PadTokenId);
        Assert.Null(reference.Tokenizer.PadTokenId);

        int[][] prompts = [[.. generator.Tokenize(GenerationInput.FromPrompt("Hei"))],
            [.. generator.Tokenize(GenerationInput.FromPrompt("Fjorden ligg stille under fjellet"))]];
        Assert.NotEqual(prompts[0].Length, prompts[1].Length);
        var options = new GenerationOptions { MaxNewTokens = 6 };
        var together = generator.Generate(prompts, options);
        var before = reference.Generate(prompts, options);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(before[i].Ids, together[i].Ids);
    }

    [Fact]
    public void SpecialTokensMapNamesThePadTokenWhenTokenizerConfigDoesNot()
    {
        string dir = TestPaths.CopyOfFixtureModel(Fixture);
        EditJson(Path.Combine(dir, "tokenizer_config.json"), o => o.Remove("pad_token"));
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"),
            """{"pad_token": {"content": "[SEP]", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false}}""");
        var tokenizer = Tokenizer.FromFolder(dir);
        Assert.Equal("[SEP]", tokenizer.PadToken);
        Assert.Equal(VocabId(dir, "[SEP]"), tokenizer.PadTokenId);
        Assert.Equal(new NamedPadToken("[SEP]", Path.Combine(dir, "special_tokens_map.json")), NamedPadToken.Read(dir));
    }

    [Fact]
    public void APadTokenTheVocabularyLacksIsPassedOverAndABadValueIsOneLineNamingTheFile()
    {
        string dir = TestPaths.CopyOfFixtureModel(Fixture);
        EditJson(Path.Combine(dir, "tokenizer_config.json"), o => o["pad_token"] = "<|nope|>");
        Assert.Equal(VocabId(dir, "[PAD]"), SentenceEncoder.Load(dir).PadId);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"pad_token": 7}""");
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromFolder(dir));
        Assert.Equal(Path.Combine(dir, "tokenizer_config.json") + ": key \"pad_token\" must be a token's text or an object with its \"content\"", e.Message);
    }
}
