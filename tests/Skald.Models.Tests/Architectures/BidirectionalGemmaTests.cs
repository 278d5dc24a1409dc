using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Models.Generation;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// Gemma's <c>use_bidirectional_attention</c> (EmbeddingGemma's config.json): the model attends in both directions
/// and, for Gemma 3, its sliding window becomes the radius sliding_window // 2 + 1, as Gemma3TextConfig and
/// Gemma3TextModel's bidirectional window overlay do. Checked against the PyTorch reference of decoder-gemma3, whose bidirectional cases
/// use a window radius of 4 (|q − k| &lt; 4): the same as a config saying sliding_window 6 with the flag (6 // 2 + 1).
/// </summary>
public sealed class BidirectionalGemmaTests
{
    private static string Edited(string fixture, Action<JsonObject> edit)
    {
        string folder = TestPaths.CopyOfFixtureModel(fixture);
        string path = Path.Combine(folder, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
        return folder;
    }

    [Fact]
    public void TheFlagMakesTheModelBidirectionalWithHalfTheWindowOnEachSide()
    {
        string folder = Edited("decoder-gemma3", c =>
        {
            c["use_bidirectional_attention"] = true;
            c["sliding_window"] = 6;
        });
        var model = Assert.IsAssignableFrom<IDecoder>(ArchitectureRegistry.Load(folder));
        Assert.Equal(AttentionMode.Bidirectional, model.AttentionMode);
        Assert.Equal(4, model.Config.SlidingWindow);
        var cases = DecoderParityTests.ReadCases(TestPaths.FixtureModel("decoder-gemma3")).Where(c => c.Attention == "bidirectional").ToList();
        Assert.Equal(2, cases.Count);
        foreach (var c in cases)
            DecoderParityTests.CompareRealTokens(c, model.Forward(new Tape(recording: false), c.Tokens), $"bidirectional gemma3 {c.Padding}");
    }

    [Fact]
    public void GemmaWithTheFlagAttendsToAllTokens()
    {
        // GemmaConfig reads the flag too; Gemma 1 has no sliding window, so every real token sees every other.
        var model = (IDecoder)ArchitectureRegistry.Load(Edited("decoder-gemma", c => c["use_bidirectional_attention"] = true));
        Assert.Equal(AttentionMode.Bidirectional, model.AttentionMode);
        foreach (var c in DecoderParityTests.ReadCases(TestPaths.FixtureModel("decoder-gemma")).Where(c => c.Attention == "bidirectional"))
            DecoderParityTests.CompareRealTokens(c, model.Forward(new Tape(recording: false), c.Tokens), $"bidirectional gemma {c.Padding}");
    }

    [Fact]
    public void WithoutTheFlagTheSameConfigStaysCausal()
    {
        var model = (IDecoder)ArchitectureRegistry.Load(Edited("decoder-gemma3", c => c["use_bidirectional_attention"] = false));
        Assert.Equal(AttentionMode.Causal, model.AttentionMode);
        Assert.Equal(4, model.Config.SlidingWindow);
    }

    [Fact]
    public void ABidirectionalModelIsNoGenerator()
    {
        string folder = Edited("decoder-gemma3", c => c["use_bidirectional_attention"] = true);
        var e = Assert.Throws<ModelFormatException>(() => TextGenerator.Load(folder));
        Assert.Equal($"{Path.Combine(folder, "config.json")}: use_bidirectional_attention is true (an embedding model such as " +
            "EmbeddingGemma), so it cannot generate", e.Message);
    }

    [Fact]
    public void Gemma2IsRefusedByNameAndOtherModelTypesIgnoreTheKeyAsTransformersDoes()
    {
        string gemma2 = Edited("decoder-gemma2", c => c["use_bidirectional_attention"] = true);
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(Path.Combine(gemma2, "config.json")));
        Assert.Equal($"{Path.Combine(gemma2, "config.json")}: use_bidirectional_attention: true is not supported for gemma2 " +
            "(Skald reads it for gemma3_text)", e.Message);

        var llama = (IDecoder)ArchitectureRegistry.Load(Edited("decoder-llama3", c => c["use_bidirectional_attention"] = true));
        Assert.Equal(AttentionMode.Causal, llama.AttentionMode);
        Assert.False(llama.Config.UseBidirectionalAttention);
    }
}
