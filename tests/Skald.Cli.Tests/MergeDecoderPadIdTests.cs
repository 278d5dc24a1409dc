using System.Text.Json.Nodes;
using static Skald.Cli.Tests.MergeCrossEncoderTests;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald merge</c> of a SEQ_CLS adapter over a decoder whose tokenizer and config.json name no pad token: transformers'
/// <c>*ForSequenceClassification</c> finds each row's last token as the last one that is not pad_token_id (and refuses
/// batches without it), so the merged config must not get an id that real inputs hold (it got 0, a real token). The eos
/// id stands in (<see cref="MergeCrossEncoderTests"/> checks that); a decoder without an eos id, or whose tokenizer ends
/// every input with it, is refused in one line naming its config.json, and nothing is written. A pad token that
/// tokenizer_config.json (or special_tokens_map.json) names comes before the eos id, as transformers' tokenizer has it
/// (Qwen3 pads with &lt;|endoftext|&gt;, not its eos &lt;|im_end|&gt;), and the merged tokenizer_config.json names the
/// pad token when the base's named none. The fixture's added tokens: 285 &lt;|begin_of_text|&gt;, 286
/// &lt;|end_of_text|&gt; (config.json's eos_token_id), 287 &lt;|im_start|&gt;.
/// </summary>
public sealed class MergeDecoderPadIdTests
{
    // A copy of the decoder fixture, changed by `change` (its config.json, its tokenizer.json), and an adapter over it.
    private static (string Model, string Adapter, string Merged) Setup(Action<JsonObject, JsonObject> change, params (string File, string Json)[] files)
    {
        string dir = TestPaths.NewTempDir();
        string model = TestPaths.CopyOfFixtureModel(Decoder.Fixture);
        string config = Path.Combine(model, "config.json"), tokenizer = Path.Combine(model, "tokenizer.json");
        var c = (JsonObject)JsonNode.Parse(File.ReadAllText(config))!;
        var t = (JsonObject)JsonNode.Parse(File.ReadAllText(tokenizer))!;
        change(c, t);
        File.WriteAllText(config, c.ToJsonString());
        File.WriteAllText(tokenizer, t.ToJsonString());
        foreach (var (file, json) in files) File.WriteAllText(Path.Combine(model, file), json);
        string adapter = WriteAdapter(Path.Combine(dir, "adapter"), Decoder), adapterConfig = Path.Combine(adapter, "adapter_config.json");
        var a = (JsonObject)JsonNode.Parse(File.ReadAllText(adapterConfig))!;
        a["base_model_name_or_path"] = model; // the changed copy, so that the merge notes no other base
        File.WriteAllText(adapterConfig, a.ToJsonString());
        return (model, adapter, Path.Combine(dir, "merged"));
    }

    private static void AssertRefused((string Model, string Adapter, string Merged) s, string reason)
    {
        var r = InProcessSkald.Capture("merge", "--model", s.Model, "--adapters", s.Adapter, "--output", s.Merged);
        Assert.Equal(1, r.ExitCode);
        string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("skald: error: " + Path.Combine(s.Model, "config.json") + ": a decoder classifier needs pad_token_id", line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(s.Merged));
    }

    [Fact]
    public void ADecoderWithoutPadOrEosIsRefused() =>
        AssertRefused(Setup((config, _) => config.Remove("eos_token_id")), "neither the tokenizer nor config.json has a pad token or an eos_token_id");

    [Fact]
    public void ADecoderWhoseTokenizerEndsInputsWithEosIsRefused()
    {
        // the tokenizer appends <|end_of_text|> (286, config.json's eos_token_id) to every input
        var s = Setup((_, tokenizer) =>
        {
            JsonNode Eos() => JsonNode.Parse("""{"SpecialToken": {"id": "<|end_of_text|>", "type_id": 0}}""")!;
            JsonNode Seq(string id) => new JsonObject { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = 0 } };
            tokenizer["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(Seq("A"), Eos()),
                ["pair"] = new JsonArray(Seq("A"), Seq("B"), Eos()),
                ["special_tokens"] = JsonNode.Parse("""{"<|end_of_text|>": {"id": "<|end_of_text|>", "ids": [286], "tokens": ["<|end_of_text|>"]}}"""),
            };
        });
        AssertRefused(s, "its eos id 286 cannot stand in");
    }

    // Merges s; the merged config.json's pad_token_id and the pad_token its tokenizer_config.json, else its
    // special_tokens_map.json, names (null: neither does).
    private static (int PadId, string? PadToken) Merge((string Model, string Adapter, string Merged) s)
    {
        var r = InProcessSkald.Capture("merge", "--model", s.Model, "--adapters", s.Adapter, "--output", s.Merged);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(s.Merged, "config.json")))!;
        var pad = ((string[])["tokenizer_config.json", "special_tokens_map.json"]).Select(f => Path.Combine(s.Merged, f)).Where(File.Exists)
            .Select(f => JsonNode.Parse(File.ReadAllText(f))!["pad_token"]).FirstOrDefault(p => p is not null);
        return (config["pad_token_id"]!.GetValue<int>(), pad is JsonObject o ? o["content"]!.GetValue<string>() : pad?.GetValue<string>());
    }

    [Fact]
    public void ThePadTokenTokenizerConfigNamesComesBeforeTheEos() =>
        Assert.Equal((285, "<|begin_of_text|>"), Merge(Setup((_, _) => { }, ("tokenizer_config.json", """{"pad_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"}"""))));

    [Fact]
    public void APadTokenObjectOfSpecialTokensMapIsRead() =>
        Assert.Equal((287, "<|im_start|>"), Merge(Setup((_, _) => { }, ("tokenizer_config.json", """{"eos_token": "<|end_of_text|>"}"""),
            ("special_tokens_map.json", """{"pad_token": {"content": "<|im_start|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false}}"""))));

    [Fact]
    public void WithoutAPadTokenTheMergedTokenizerNamesTheEosItPadsWith()
    {
        Assert.Equal((286, "<|end_of_text|>"), Merge(Setup((_, _) => { })));
        // the base's tokenizer_config.json keeps its keys
        var s = Setup((_, _) => { }, ("tokenizer_config.json", """{"model_max_length": 128}"""));
        Assert.Equal((286, "<|end_of_text|>"), Merge(s));
        Assert.Equal(128, JsonNode.Parse(File.ReadAllText(Path.Combine(s.Merged, "tokenizer_config.json")))!["model_max_length"]!.GetValue<int>());
    }

    [Fact]
    public void ThePadIdConfigJsonGivesIsKeptAndNamedInTheMergedTokenizer() =>
        Assert.Equal((287, "<|im_start|>"), Merge(Setup((config, _) => config["pad_token_id"] = 287)));

    [Fact]
    public void APadTokenTheTokenizerDoesNotHaveIsRefused()
    {
        var s = Setup((_, _) => { }, ("tokenizer_config.json", """{"pad_token": "<|nope|>"}"""));
        var r = InProcessSkald.Capture("merge", "--model", s.Model, "--adapters", s.Adapter, "--output", s.Merged);
        Assert.Equal(1, r.ExitCode);
        string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("skald: error: " + Path.Combine(s.Model, "tokenizer_config.json") + ": pad_token \"<|nope|>\" is not a token of the tokenizer", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(s.Merged));
    }
}
