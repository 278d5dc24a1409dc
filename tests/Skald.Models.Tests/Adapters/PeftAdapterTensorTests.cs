using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Adapters;

/// <summary>
/// A peft adapter folder holding more than Skald merges (peft's lora_bias, trainable tokens, activated LoRA, a tensor
/// key that still carries the adapter name) is refused by name before any weight changes, not merged without it.
/// </summary>
public sealed class PeftAdapterTensorTests
{
    private const string QProj = "base_model.model.model.layers.0.self_attn.q_proj";

    private readonly string dir = TestPaths.NewTempDir();

    private string ConfigPath => Path.Combine(dir, PeftAdapters.ConfigFile);

    private string WeightsPath => Path.Combine(dir, PeftAdapters.WeightsFile);

    private void WriteConfig(string extra) => File.WriteAllText(ConfigPath,
        $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "modules_to_save": null{{extra}}}""");

    // A rank-2 adapter on layer 0's q_proj [64, 64] of decoder-qwen2 (keys of a Qwen2ForCausalLM adapter), non-zero
    // so that merging it would change the weight.
    private static List<TensorToWrite> QProjAdapter()
    {
        float[] Values(int n, int seed) => [.. Enumerable.Range(0, n).Select(i => (float)Math.Sin(seed + i))];
        return [new($"{QProj}.lora_A.weight", [2, 64], Values(128, 1)), new($"{QProj}.lora_B.weight", [64, 2], Values(128, 2))];
    }

    [Theory]
    [InlineData(""", "lora_bias": true""", "lora_bias: true (a bias on lora_B) is not supported")]
    [InlineData(""", "trainable_token_indices": [5, 7]""", "trainable_token_indices is not supported yet")]
    [InlineData(""", "trainable_token_indices": {"embed_tokens": [5]}""", "trainable_token_indices is not supported yet")]
    [InlineData(""", "alora_invocation_tokens": [12, 40]""", "alora_invocation_tokens is not supported yet")]
    public void OptionsThatChangeTheOutputAreRefusedByName(string extra, string message)
    {
        WriteConfig(extra);
        Assert.Equal($"{ConfigPath}: {message}", Assert.Throws<ModelFormatException>(() => LoraConfig.Read(ConfigPath)).Message);
    }

    [Fact]
    public void TheirDefaultsAsPeftWritesThemLoad()
    {
        WriteConfig(""", "lora_bias": false, "trainable_token_indices": null, "alora_invocation_tokens": null""");
        Assert.Equal(2, LoraConfig.Read(ConfigPath).R);
    }

    [Theory]
    [InlineData(".lora_B.bias", new[] { 64 })]                       // lora_bias's tensor, the config not saying so
    [InlineData(".lora_A.default.weight", new[] { 2, 64 })]          // a state_dict saved by hand, adapter name kept
    [InlineData(".token_adapter.trainable_tokens_delta", new[] { 2, 64 })]
    public void ATensorThatIsNoAdapterTensorIsRefusedBeforeAnyWeightChanges(string suffix, int[] shape)
    {
        WriteConfig("");
        var tensors = QProjAdapter();
        string extra = QProj + suffix;
        tensors.Add(new TensorToWrite(extra, shape, new float[shape.Aggregate(1, (a, b) => a * b)]));
        SafeTensorsWriter.Write(WeightsPath, tensors);
        var model = ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2"));
        var before = model.Parameters.ToDictionary(p => p.Name, p => p.Data.ToArray());

        var e = Assert.Throws<ModelFormatException>(() => PeftAdapters.Merge(dir, model.Parameters));
        Assert.Equal($"{WeightsPath}: {extra} is not an adapter tensor (lora_A / lora_B, lora_embedding_A / _B, " +
            "lora_magnitude_vector) and adapter_config.json has no modules_to_save", e.Message);
        Assert.All(model.Parameters, p => Assert.Equal(before[p.Name], p.Data.ToArray()));
    }

    [Fact]
    public void TheSameAdapterWithoutTheExtraTensorMerges()
    {
        WriteConfig("");
        SafeTensorsWriter.Write(WeightsPath, QProjAdapter());
        var model = ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2"));
        var q = model.Parameters.Single(p => p.Name == "layers.0.self_attn.q_proj.weight");
        var before = q.Data.ToArray();
        Assert.Equal(1, PeftAdapters.Merge(dir, model.Parameters));
        Assert.NotEqual(before, q.Data.ToArray());
    }
}
