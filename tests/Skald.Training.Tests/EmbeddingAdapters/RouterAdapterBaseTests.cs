using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Tests;
using Skald.Training.EmbeddingAdapters;

namespace Skald.Training.Tests.EmbeddingAdapters;

/// <summary>
/// <see cref="RouterFolderWriter.Save"/> over a model loaded with PEFT adapters merged by <c>--adapters</c>: the Router
/// could record only an adapter folder given as the model, so such a base is one line naming the adapters and
/// <c>skald merge</c>, and nothing is written (the base's weights alone were written, a route without its adapters).
/// </summary>
public sealed class RouterAdapterBaseTests
{
    [Fact]
    public void AModelWithAdaptersMergedByListIsOneLineAndWritesNothing()
    {
        string dir = TestPaths.NewTempDir(), adapter = Path.Combine(dir, "lora");
        Directory.CreateDirectory(adapter);
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"]}""");
        const string module = "base_model.model.encoder.layer.0.attention.self.query";
        SafeTensorsWriter.Write(Path.Combine(adapter, "adapter_model.safetensors"),
            [new($"{module}.lora_A.weight", [2, 32], new float[64]), new($"{module}.lora_B.weight", [32, 2], new float[64])]);
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"), [adapter]);
        string output = Path.Combine(dir, "router");
        var e = Assert.Throws<ModelFormatException>(() => RouterFolderWriter.Save(model, QueryAdapter.Create(QueryAdapterKind.Linear, model.Dimension), output));
        Assert.Contains(adapter, e.Message);
        Assert.Contains("skald merge", e.Message);
        Assert.False(Directory.Exists(output));
    }
}
