using Skald.Models.Checkpoints;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald encode --model ADAPTER</c> with a PEFT adapter folder on a cross-encoder is refused as the cross-encoder
/// itself is (one line naming the adapter folder, pointing to skald rerank; exit 1): the adapter folder has no
/// config.json of its own, so it was once embedded with the base encoder's mean pooling.
/// </summary>
public sealed class EncodeCrossEncoderAdapterTests
{
    [Fact]
    public void AnAdapterOnACrossEncoderIsNamedAsOne()
    {
        string dir = TestPaths.NewTempDir(), adapter = Path.Combine(dir, "ce-lora");
        Directory.CreateDirectory(adapter);
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": {{System.Text.Json.JsonSerializer.Serialize(TestPaths.FixtureModel("ce-bert"))}}}""");
        const string module = "base_model.model.bert.encoder.layer.0.attention.self.query";
        SafeTensorsWriter.Write(Path.Combine(adapter, "adapter_model.safetensors"),
            [new($"{module}.lora_A.weight", [2, 32], new float[64]), new($"{module}.lora_B.weight", [32, 2], new float[64])]);
        string input = Path.Combine(dir, "t.txt");
        File.WriteAllText(input, "Hei verden\n");
        var r = InProcessSkald.Capture("encode", "--model", adapter, "--input", input, "--output", Path.Combine(dir, "v.jsonl"));
        SkaldProcess.AssertUserError(r, 1, $"{adapter}: a cross-encoder", "CrossEncoder.Load", "skald rerank");
        Assert.False(File.Exists(Path.Combine(dir, "v.jsonl")));
    }
}
