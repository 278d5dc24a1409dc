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
    public void AnAdapterOverATorchSaveBaseLeavesNoBaseWeightsInItsRoute()
    {
        // the adapter's base is bert-cased-mean as pytorch_model-0000{1,2}-of-00002.bin + index: the route's Transformer
        // folder must hold the adapter without those, else it loads as the base alone
        string dir = TestPaths.NewTempDir(), adapter = Path.Combine(dir, "lora"), bin = TestPaths.FixtureModel(Path.Combine("torch-bin", "adapter-bin"));
        Directory.CreateDirectory(adapter);
        File.Copy(Path.Combine(bin, "adapter_model.bin"), Path.Combine(adapter, "adapter_model.bin"));
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"), File.ReadAllText(Path.Combine(bin, "adapter_config.json"))
            .Replace("../../bert-cased-mean", TestPaths.FixtureModel(Path.Combine("torch-bin", "bert-sharded")), StringComparison.Ordinal));
        using var model = SentenceEncoder.Load(adapter);
        string output = Path.Combine(dir, "router");
        RouterFolderWriter.Save(model, QueryAdapter.Create(QueryAdapterKind.Linear, model.Dimension), output);
        Assert.Empty(Directory.GetFiles(Path.Combine(output, "document_0_Transformer"), "pytorch_model*"));
        using var router = SentenceEncoder.Load(output);
        string[] texts = ["Når går toget til Bergen?", "Legekontoret ligger i andre etasje."];
        var expected = model.Encode(texts);
        var documents = router.Encode(texts, new EncodeOptions { Route = "document" });
        for (int i = 0; i < texts.Length; i++)
        {
            for (int j = 0; j < expected[i].Length; j++) Assert.Equal(expected[i][j], documents[i][j], 1e-6f);
        }
    }

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
