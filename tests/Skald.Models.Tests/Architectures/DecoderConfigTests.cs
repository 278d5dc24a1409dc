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

    [Fact]
    public void RopeScalingUnderTheOlderKeyTypeIsNamedAsWritten()
    {
        string path = WriteConfig("decoder-llama3", c => c["rope_scaling"] = new JsonObject { ["type"] = "dynamic", ["factor"] = 2.0 });
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: rope_scaling.type \"dynamic\" is not supported (default, linear, llama3)", e.Message);
    }

    // Without max_position_embeddings each model_type has its transformers configuration class's default (LlamaConfig
    // 2048, MistralConfig 4096 * 32, Qwen2Config / Qwen3Config 32768, GemmaConfig / Gemma2Config 8192, Gemma3TextConfig
    // 131072): the longest input the model accepts.
    [Theory]
    [InlineData("decoder-llama3", 2048)]
    [InlineData("decoder-mistral", 4096 * 32)]
    [InlineData("decoder-qwen2", 32768)]
    [InlineData("decoder-qwen3", 32768)]
    [InlineData("decoder-gemma", 8192)]
    [InlineData("decoder-gemma2", 8192)]
    [InlineData("decoder-gemma3", 131072)]
    public void MissingMaxPositionEmbeddingsIsTheModelTypesDefault(string fixture, int expected)
    {
        string path = WriteConfig(fixture, c => c.Remove("max_position_embeddings"));
        Assert.Equal(expected, TransformerConfig.Load(path).MaxPositionEmbeddings);
    }

    // Without num_key_value_heads each configuration class has its own default: LlamaConfig num_attention_heads (4 in
    // the fixtures), Gemma2Config / Gemma3TextConfig 4; MistralConfig 8, Qwen2Config / Qwen3Config 32 and GemmaConfig 16
    // do not divide the fixtures' 4 heads, which is one line saying the default came from the absent key.
    [Theory]
    [InlineData("decoder-llama3", 4)]
    [InlineData("decoder-gemma2", 4)]
    [InlineData("decoder-gemma3", 4)]
    [InlineData("decoder-mistral", 8)]
    [InlineData("decoder-qwen2", 32)]
    [InlineData("decoder-qwen3", 32)]
    [InlineData("decoder-gemma", 16)]
    public void MissingNumKeyValueHeadsIsTheModelTypesDefault(string fixture, int expected)
    {
        string path = WriteConfig(fixture, c => c.Remove("num_key_value_heads"));
        if (expected <= 4)
        {
            Assert.Equal(expected, TransformerConfig.Load(path).KeyValueHeads);
            return;
        }
        string type = JsonNode.Parse(File.ReadAllText(path))!["model_type"]!.GetValue<string>();
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: num_attention_heads 4 is not a multiple of num_key_value_heads {expected} (the {type} default when the key is absent)", e.Message);
    }

    [Theory]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-qwen3")]
    public void QwenWithUseSlidingWindowButNoSlidingWindowUsesTheDefault4096(string fixture)
    {
        // Qwen2Config / Qwen3Config: sliding_window defaults to 4096 and applies from layer max_window_layers on.
        string path = WriteConfig(fixture, c =>
        {
            c.Remove("sliding_window");
            c["use_sliding_window"] = true;
            c["max_window_layers"] = 1;
        });
        var config = TransformerConfig.Load(path);
        Assert.Equal(4096, config.SlidingWindow);
        Assert.Equal([false, true], [config.IsSliding(0), config.IsSliding(1)]);
    }

    [Fact]
    public void NullNumKeyValueHeadsIsOneHeadPerQueryHead()
    {
        string path = WriteConfig("decoder-mistral", c => c["num_key_value_heads"] = null);
        Assert.Equal(4, TransformerConfig.Load(path).KeyValueHeads);
    }

    [Theory]
    [InlineData("max_position_embeddings", 0, "key \"max_position_embeddings\" must be a positive integer, found 0")]
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
