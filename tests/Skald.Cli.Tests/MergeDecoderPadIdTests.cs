using System.Text.Json.Nodes;
using static Skald.Cli.Tests.MergeCrossEncoderTests;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald merge</c> of a SEQ_CLS adapter over a decoder whose tokenizer and config.json name no pad token: transformers'
/// <c>*ForSequenceClassification</c> finds each row's last token as the last one that is not pad_token_id (and refuses
/// batches without it), so the merged config must not get an id that real inputs hold (it got 0, a real token). The eos
/// id stands in (<see cref="MergeCrossEncoderTests"/> checks that); a decoder without an eos id, or whose tokenizer ends
/// every input with it, is refused in one line naming its config.json, and nothing is written.
/// </summary>
public sealed class MergeDecoderPadIdTests
{
    // A copy of the decoder fixture, changed by `change` (its config.json, its tokenizer.json), and an adapter over it.
    private static (string Model, string Adapter, string Merged) Setup(Action<JsonObject, JsonObject> change)
    {
        string dir = TestPaths.NewTempDir();
        string model = TestPaths.CopyOfFixtureModel(Decoder.Fixture);
        string config = Path.Combine(model, "config.json"), tokenizer = Path.Combine(model, "tokenizer.json");
        var c = (JsonObject)JsonNode.Parse(File.ReadAllText(config))!;
        var t = (JsonObject)JsonNode.Parse(File.ReadAllText(tokenizer))!;
        change(c, t);
        File.WriteAllText(config, c.ToJsonString());
        File.WriteAllText(tokenizer, t.ToJsonString());
        return (model, WriteAdapter(Path.Combine(dir, "adapter"), Decoder), Path.Combine(dir, "merged"));
    }

    private static void AssertRefused((string Model, string Adapter, string Merged) s, string reason)
    {
        var r = SkaldProcess.Run("merge", "--model", s.Model, "--adapters", s.Adapter, "--output", s.Merged);
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
}
