using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Modules;

/// <summary>
/// What decoder-based embedders need from a folder: the padding side (tokenizer.json, tokenizer_config.json,
/// LLM2Vec), left-padded batches that embed as one-at-a-time does, llm2vec_config.json errors naming file and key.
/// </summary>
public sealed class DecoderFolderTests
{
    /// <summary>A copy of the XLM-R fixture folder (its positions come from the ids, so left padding is exact).</summary>
    private static string CopyXlmr()
    {
        string dir = TestPaths.NewTempDir();
        string src = TestPaths.FixtureModel("xlmr-cls-f16");
        foreach (var f in Directory.GetFiles(src, "*", SearchOption.AllDirectories))
        {
            string dst = Path.Combine(dir, Path.GetRelativePath(src, f));
            Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
            File.Copy(f, dst);
        }
        return dir;
    }

    /// <summary>Rewrites the JSON object in <paramref name="file"/> as <paramref name="edit"/> changes it.</summary>
    internal static void EditJson(string file, Action<JsonObject> edit)
    {
        var o = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        edit(o);
        File.WriteAllText(file, o.ToJsonString());
    }

    [Fact]
    public void SentenceTransformersDecoderStyleFolderPadsLeftAndPoolsTheLastToken()
    {
        // Qwen3-Embedding's layout: tokenizer_config.json padding_side "left", Pooling lasttoken, the tokenizer's
        // post-processor appending the end token (here XLM-R's </s>), which lasttoken then picks.
        string dir = CopyXlmr();
        EditJson(Path.Combine(dir, "tokenizer_config.json"), o => o["padding_side"] = "left");
        EditJson(Path.Combine(dir, "1_Pooling", "config.json"), o =>
        {
            o["pooling_mode_cls_token"] = false;
            o["pooling_mode_lasttoken"] = true;
        });
        var model = SentenceEncoder.Load(dir);
        Assert.Equal(PaddingSide.Left, model.PaddingSide);
        Assert.False(model.Folder.Bidirectional);
        var texts = File.ReadLines(Path.Combine(TestPaths.FixtureModel("xlmr-cls-f16"), "expected.jsonl")).Take(20)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
        var single = model.Encode(texts, new EncodeOptions { BatchSize = 1 });
        var batched = model.Encode(texts, new EncodeOptions { BatchSize = 20 });
        for (int i = 0; i < texts.Count; i++)
        {
            for (int j = 0; j < model.Dimension; j++) Assert.True(Math.Abs(single[i][j] - batched[i][j]) <= 2e-6f, $"text {i} [{j}]");
        }
        // The same model padded on the right gives the same vectors.
        EditJson(Path.Combine(dir, "tokenizer_config.json"), o => o["padding_side"] = "right");
        var right = SentenceEncoder.Load(dir);
        Assert.Equal(PaddingSide.Right, right.PaddingSide);
        var r = right.Encode(texts, new EncodeOptions { BatchSize = 20 });
        for (int i = 0; i < texts.Count; i++)
        {
            for (int j = 0; j < model.Dimension; j++) Assert.True(Math.Abs(r[i][j] - batched[i][j]) <= 2e-6f, $"text {i} [{j}]");
        }
    }

    [Fact]
    public void TokenizerJsonPaddingDirectionIsTheDefaultSide()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel("xlmr-cls-f16"), "tokenizer.json")))!.AsObject();
        Assert.Equal(PaddingSide.Right, Tokenizer.FromJson(json.ToJsonString()).PaddingSide);
        json["padding"] = new JsonObject
        {
            ["strategy"] = "BatchLongest", ["direction"] = "Left", ["pad_to_multiple_of"] = null, ["pad_id"] = 1,
            ["pad_type_id"] = 0, ["pad_token"] = "<pad>",
        };
        Assert.Equal(PaddingSide.Left, Tokenizer.FromJson(json.ToJsonString()).PaddingSide);
        json["padding"]!["direction"] = "Up";
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(json.ToJsonString(), "t.json"));
        Assert.Contains("padding.direction", e.Message);
    }

    [Fact]
    public void BadPaddingSideNamesFileAndKey()
    {
        string dir = CopyXlmr();
        EditJson(Path.Combine(dir, "tokenizer_config.json"), o => o["padding_side"] = "middle");
        var e = Assert.Throws<ModelFormatException>(() => ModelFolder.Read(dir));
        Assert.Equal($"{Path.Combine(dir, "tokenizer_config.json")}: key \"padding_side\" must be \"left\" or \"right\", found \"middle\"", e.Message);
    }

    [Theory]
    [InlineData("{\"pooling_mode\": \"cls\"}", "key \"pooling_mode\" is \"cls\"")]
    [InlineData("{\"pooling_mode\": \"mean\", \"pool\": 1}", "unknown key \"pool\"")]
    [InlineData("{\"max_length\": 0}", "key \"max_length\" must be a positive integer")]
    [InlineData("{\"skip_instruction\": \"yes\"}", "key \"skip_instruction\" must be true or false")]
    [InlineData("[1]", "expected a JSON object")]
    public void BadLlm2VecConfigNamesFileAndKey(string content, string expected)
    {
        string dir = TestPaths.NewTempDir();
        File.Copy(Path.Combine(TestPaths.FixtureModel("llm2vec-xlmr"), "config.json"), Path.Combine(dir, "config.json"));
        string file = Path.Combine(dir, Llm2VecConfig.FileName);
        File.WriteAllText(file, content);
        var e = Assert.Throws<ModelFormatException>(() => ModelFolder.Read(dir));
        Assert.StartsWith(file + ": " + expected, e.Message);
    }

    [Fact]
    public void Llm2VecConfigDefaultsAreLlm2VecsConstructorDefaults()
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, Llm2VecConfig.FileName), "{}");
        var folder = ModelFolder.Read(dir);
        Assert.Equal(("mean", 512, 400, true), (folder.Llm2Vec!.PoolingModeName, folder.Llm2Vec.MaxLength, folder.Llm2Vec.DocMaxLength, folder.Llm2Vec.SkipInstruction));
        Assert.Equal("", folder.Llm2Vec.BaseModelName);
        Assert.Equal(PaddingSide.Left, folder.PaddingSide);
        Assert.True(folder.Bidirectional);
    }

    [Fact]
    public void Llm2VecConfigBesideModulesJsonIsRefused()
    {
        string dir = CopyXlmr();
        File.WriteAllText(Path.Combine(dir, Llm2VecConfig.FileName), "{}");
        var e = Assert.Throws<ModelFormatException>(() => ModelFolder.Read(dir));
        Assert.Contains("has both modules.json and llm2vec_config.json", e.Message);
    }

    [Fact]
    public void AdapterFolderLlm2VecConfigApplies()
    {
        // LLM2Vec reads llm2vec_config.json from the PEFT folder when one is given.
        string adapter = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(adapter, Llm2VecConfig.FileName), "{\"pooling_mode\": \"eos_token\", \"max_length\": 32}");
        var folder = ModelFolder.Read(TestPaths.FixtureModel("plain-bert")).WithLlm2VecConfig(adapter);
        Assert.Equal(PoolingMode.LastToken, folder.Llm2Vec!.PoolingMode);
        Assert.Equal(32, folder.MaxSeqLength);
        Assert.True(folder.Bidirectional);
        Assert.Same(folder, folder.WithLlm2VecConfig(TestPaths.NewTempDir()));
    }

    [Fact]
    public void PositionsCountRealTokensOnEitherSide()
    {
        var e1 = new Encoding { Ids = [5, 6, 7], Tokens = ["a", "b", "c"], TypeIds = [0, 0, 0], AttentionMask = [1, 1, 1], Offsets = new (int, int)[3], SpecialTokensMask = [0, 0, 0] };
        var e2 = new Encoding { Ids = [8], Tokens = ["d"], TypeIds = [0], AttentionMask = [1], Offsets = new (int, int)[1], SpecialTokensMask = [0] };
        var left = TokenBatch.Pad([e1, e2], 0, PaddingSide.Left);
        Assert.Equal([5, 6, 7, 0, 0, 8], left.Ids);
        Assert.Equal([1, 1, 1, 0, 0, 1], left.Mask);
        Assert.Equal([0, 1, 2, 0, 0, 0], left.Positions);
        var right = TokenBatch.Pad([e1, e2], 0);
        Assert.Equal([8, 0, 0], right.Ids[3..]);
        Assert.Equal([0, 1, 2, 0, 0, 0], right.Positions);
        var other = left with { Mask = [1, 1, 1, 1, 1, 1] };
        Assert.Equal([0, 1, 2, 0, 1, 2], other.Positions);
    }
}
