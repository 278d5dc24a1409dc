using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Architectures;

/// <summary>Decoder config.json errors, and new random decoders.</summary>
public sealed class DecoderConfigTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("skald-decoder-config").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string WriteConfig(string fixture, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel(fixture), "config.json")))!.AsObject();
        edit(json);
        string path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Theory]
    [InlineData("yarn")]
    [InlineData("dynamic")]
    [InlineData("longrope")]
    public void UnknownRopeScalingTypeIsOneClearLine(string type)
    {
        string path = WriteConfig("decoder-llama3", c => c["rope_scaling"] = new JsonObject { ["rope_type"] = type, ["factor"] = 2.0 });
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: rope_scaling.rope_type \"{type}\" is not supported (default, linear, llama3)", e.Message);
    }

    [Theory]
    [InlineData("num_key_value_heads", 3, "num_attention_heads 4 is not a multiple of num_key_value_heads 3")]
    [InlineData("attention_dropout", 1.5, "attention_dropout 1.5 must be in [0, 1)")]
    [InlineData("hidden_act", "relu2", "hidden_act \"relu2\" is not supported for a gated MLP")]
    public void UnsupportedValuesNameTheKey(string key, object value, string message)
    {
        string path = WriteConfig("decoder-mistral", c => c[key] = JsonValue.Create(value));
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void AttentionDropoutLoads()
    {
        // LLM2Vec's SimCSE step loads its models with attention_dropout 0.3; training drops with the run's model.dropout.
        string path = WriteConfig("decoder-mistral", c => c["attention_dropout"] = 0.3);
        Assert.Equal("mistral", TransformerConfig.Load(path).ModelType);
    }

    [Fact]
    public void MissingLlama3FieldIsNamed()
    {
        string path = WriteConfig("decoder-llama3", c => c["rope_scaling"]!.AsObject().Remove("low_freq_factor"));
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: rope_scaling.low_freq_factor is missing", e.Message);
    }

    [Fact]
    public void NewRandomDecoderIsInitialisedLikeTransformersAndTrains()
    {
        var config = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("decoder-llama3"), "config.json"));
        var model = (IDecoder)ArchitectureRegistry.Initialize(config, seed: 11);
        var byName = model.Parameters.ToDictionary(p => p.Name);
        Assert.All(byName["layers.1.input_layernorm.weight"].Data.ToArray(), v => Assert.Equal(1f, v));
        var q = byName["layers.0.self_attn.q_proj.weight"].Data.ToArray();
        double std = Math.Sqrt(q.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.018, 0.022);
        Assert.False(Assert.IsType<LmHead>(model.LmHead).Tied);

        // One recorded forward + backward reaches every layer's projections.
        var tokens = new TokenBatch([1, 5, 9, 2, 7, 7], [1, 1, 1, 1, 1, 0], new int[6], 2, 3);
        var tape = new Tape();
        var hidden = model.Forward(tape, tokens);
        Assert.All(hidden.Span.ToArray(), v => Assert.True(float.IsFinite(v)));
        var ones = Enumerable.Repeat(1f, hidden.Length).ToArray();
        tape.Seed(hidden, ones);
        tape.Backward();
        Assert.Contains(byName["layers.0.self_attn.k_proj.weight"].Grad.ToArray(), g => g != 0f);
        Assert.Contains(byName["layers.1.mlp.up_proj.weight"].Grad.ToArray(), g => g != 0f);
        Assert.Contains(byName["embed_tokens.weight"].Grad.ToArray(), g => g != 0f);
    }
}
