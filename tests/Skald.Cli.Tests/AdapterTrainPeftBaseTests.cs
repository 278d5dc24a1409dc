using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald adapter train --model ADAPTER</c>, a query adapter over a PEFT adapter folder (itself trained on top of an
/// earlier adapter): the Router's Transformer is saved as sentence-transformers saves one with a peft adapter on it (the
/// base's config and tokenizer, the adapter, no weights), recording the base and the earlier adapter so that the folder
/// embeds documents as the adapter folder does (base + earlier + adapter), also after the base and adapters are named
/// relative to the adapter folder.
/// </summary>
public sealed class AdapterTrainPeftBaseTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // A rank-2 LoRA on BERT's layer-0 query projection [32, 32] (seed picks its values), naming its base as given.
    private static void Adapter(string folder, string baseModel, int seed)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": {{JsonSerializer.Serialize(baseModel)}}}""");
        float[] Values(int s) => [.. Enumerable.Range(0, 64).Select(i => 0.05f * MathF.Sin(s * 7 + i))];
        const string module = "base_model.model.encoder.layer.0.attention.self.query";
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"),
            [new($"{module}.lora_A.weight", [2, 32], Values(seed)), new($"{module}.lora_B.weight", [32, 2], Values(seed + 1))]);
    }

    private string Pairs(int n)
    {
        string file = Path.Combine(dir, $"pairs{n}.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, n).Select(i => JsonSerializer.Serialize(new { query = $"spørsmål q{i}", passage = $"svar p{i}" })));
        return file;
    }

    [Fact]
    public void TheRouterRecordsTheAdapterChainAndEmbedsAsTheAdapterFolder()
    {
        string baseModel = TestPaths.CopyFolder(TestPaths.FixtureModel("bert-cased-mean"), Path.Combine(dir, "base"));
        Adapter(Path.Combine(dir, "earlier"), "../base", 1);
        string adapter = Path.Combine(dir, "runs", "adapter");
        Adapter(adapter, "../../base", 3);
        File.WriteAllText(Path.Combine(adapter, "skald_base_adapters.json"), """{"adapters": ["../../earlier"]}""");
        string output = Path.Combine(dir, "out", "router");
        var r = InProcessSkald.Capture("adapter", "train", "--model", adapter, "--data", Pairs(12), "--output", output, "--epochs", "1", "--eval-data", Pairs(4));
        Assert.True(r.ExitCode == 0, r.Stderr);

        string module = Path.Combine(output, "document_0_Transformer");
        Assert.False(File.Exists(Path.Combine(module, "model.safetensors"))); // the base's weights are not copied: the base is named
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(module, "adapter_config.json"))))
            Assert.Equal(Path.GetFullPath(baseModel), config.RootElement.GetProperty("base_model_name_or_path").GetString());
        using (var chain = JsonDocument.Parse(File.ReadAllText(Path.Combine(module, "skald_base_adapters.json"))))
        {
            string earlier = chain.RootElement.GetProperty("adapters")[0].GetString()!;
            Assert.Equal(Path.Combine(dir, "earlier"), Path.GetFullPath(Path.Combine(module, earlier)));
        }

        string[] texts = ["Toget går klokka ni", "Biblioteket har åpent i dag"];
        using var router = SentenceEncoder.Load(output); // default route: document, the base modules alone
        using var viaAdapter = SentenceEncoder.Load(adapter);
        using var withoutEarlier = SentenceEncoder.Load(baseModel, [adapter]); // the chain matters
        var expected = viaAdapter.Encode(texts);
        Assert.Equal(expected, router.Encode(texts));
        Assert.NotEqual(withoutEarlier.Encode(texts)[0], expected[0]);
    }
}
