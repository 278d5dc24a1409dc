using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Architectures;

/// <summary>ModernBERT config.json errors (one line naming file and key), and new random ModernBERTs.</summary>
public sealed class ModernBertConfigTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("skald-modernbert-config").FullName;

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
    [InlineData("hidden_size")]
    [InlineData("num_hidden_layers")]
    [InlineData("num_attention_heads")]
    [InlineData("intermediate_size")]
    [InlineData("vocab_size")]
    public void MissingRequiredKeyIsNamed(string key)
    {
        string path = WriteConfig("modernbert-tiny", c => c.Remove(key));
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: missing key \"{key}\"", e.Message);
    }

    [Theory]
    [InlineData("local_attention", 0, "key \"local_attention\" must be a positive integer")]
    [InlineData("global_attn_every_n_layers", -1, "key \"global_attn_every_n_layers\" must be a positive integer")]
    [InlineData("norm_eps", 0, "key \"norm_eps\" must be positive")]
    [InlineData("norm_bias", "yes", "key \"norm_bias\" must be true or false")]
    [InlineData("attention_bias", 1, "key \"attention_bias\" must be true or false")]
    [InlineData("hidden_activation", "relu2", "hidden_activation \"relu2\" is not supported for a gated MLP")]
    [InlineData("classifier_activation", "swiglu", "classifier_activation \"swiglu\" is not supported")]
    [InlineData("global_rope_theta", -5, "global RoPE base (global_rope_theta) must be positive")]
    [InlineData("local_rope_theta", "big", "key \"local_rope_theta\" must be a number")]
    [InlineData("mlp_dropout", 1.0, "key \"mlp_dropout\" must be in [0, 1)")]
    [InlineData("num_attention_heads", 5, "hidden_size 32 is not a multiple of num_attention_heads 5")]
    public void InvalidValueIsOneLineNamingTheKey(string key, object value, string message)
    {
        string path = WriteConfig("modernbert-tiny", c => c[key] = JsonValue.Create(value));
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void UnsupportedRopeTypeAndDisagreeingLayerTypesAreNamed()
    {
        string path = WriteConfig("modernbert-st-mean", c => c["rope_parameters"]!["sliding_attention"]!["rope_type"] = "yarn");
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: rope_parameters.sliding_attention.rope_type \"yarn\" is not supported for modernbert (only default)", e.Message);
        path = WriteConfig("modernbert-st-mean", c => c["layer_types"]![0] = "sliding_attention");
        e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.StartsWith($"{path}: layer_types[0] \"sliding_attention\" disagrees with global_attn_every_n_layers", e.Message);
        path = WriteConfig("modernbert-st-mean", c => c["layer_types"] = new JsonArray("full_attention"));
        e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: key \"layer_types\" must list one type per layer (4)", e.Message);
    }

    [Fact]
    public void MmBertPositionEmbeddingTypeIsIgnoredButNotForBert()
    {
        // mmBERT ships position_embedding_type "sans_pos", which ModernBERT never reads; BERT keeps refusing it.
        Assert.Equal("modernbert", TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("modernbert-st-mean"), "config.json")).ModelType);
        string path = WriteConfig("bert-cased-mean", c => c["position_embedding_type"] = "sans_pos");
        Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
    }

    [Fact]
    public void DefaultsAreModernBertConfigs()
    {
        // Only the required keys: transformers' ModernBertConfig defaults for the rest.
        string path = WriteConfig("modernbert-tiny", c =>
        {
            foreach (var k in c.Select(p => p.Key).ToList())
                if (k is not ("model_type" or "vocab_size" or "hidden_size" or "num_hidden_layers" or "num_attention_heads" or "intermediate_size")) c.Remove(k);
        });
        var cfg = TransformerConfig.Load(path);
        Assert.Equal((160000.0, 10000.0, 65, 1e-5f, 50283, 8192), (cfg.RopeTheta, cfg.RopeLocalTheta, cfg.SlidingWindow, cfg.LayerNormEps, cfg.PadTokenId, cfg.MaxPositionEmbeddings));
        Assert.Equal((false, false, false, true, "gelu", 2f), (cfg.NormBias, cfg.AttentionBias, cfg.MlpBias, cfg.DecoderBias, cfg.HiddenAct, cfg.InitializerCutoffFactor));
        Assert.Equal([false, true, true, false], Enumerable.Range(0, 4).Select(cfg.IsSliding));
    }

    [Fact]
    public void NewModelIsInitialisedAsModernBertPreTrainedModel()
    {
        var config = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("modernbert-tiny"), "config.json"));
        var model = ArchitectureRegistry.Initialize(config, seed: 3);
        Assert.IsType<ModernBert>(model);
        var byName = model.Parameters.ToDictionary(p => p.Name);
        double range = config.InitializerRange, outStd = range / Math.Sqrt(2.0 * config.NumLayers);
        void Truncated(string key, double std)
        {
            var v = byName[key].Data.Span.ToArray();
            Assert.All(v, x => Assert.True(Math.Abs(x) <= 2 * std + 1e-7, $"{key}: {x} beyond ±2σ"));
            double rms = Math.Sqrt(v.Select(x => (double)x * x).Average());
            // a normal truncated at ±2σ has standard deviation 0.880σ
            Assert.InRange(rms, 0.8 * 0.88 * std, 1.2 * 0.88 * std);
        }
        Truncated("embeddings.tok_embeddings.weight", range);
        Truncated("layers.1.attn.Wqkv.weight", range);
        Truncated("layers.1.mlp.Wi.weight", range);
        Truncated("layers.2.attn.Wo.weight", outStd);
        Truncated("layers.2.mlp.Wo.weight", outStd);
        Assert.All(byName["layers.1.attn_norm.weight"].Data.Span.ToArray(), x => Assert.Equal(1f, x));
        Assert.All(byName["final_norm.weight"].Data.Span.ToArray(), x => Assert.Equal(1f, x));
        var hidden = model.Forward(new Tape(recording: false), new TokenBatch([0, 5, 9, 2], [1, 1, 1, 1], new int[4], 1, 4));
        Assert.All(hidden.Span.ToArray(), x => Assert.True(float.IsFinite(x)));
    }
}
