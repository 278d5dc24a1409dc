using Skald.Models.Checkpoints;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald evaluate --model ADAPTER</c> with a PEFT adapter folder on a cross-encoder: evaluated as the cross-encoder it
/// loads as (detected from its base's config), not embedded as an embedding model: on a retrieval task without a first
/// stage that is the cross-encoder's one line, suggesting <c>--rerank ADAPTER</c> (not its base), and <c>--rerank</c>
/// beside it a usage error.
/// </summary>
public sealed class EvaluateCrossEncoderAdapterTests
{
    [Fact]
    public void AnAdapterOnACrossEncoderIsEvaluatedAsACrossEncoder()
    {
        string dir = TestPaths.NewTempDir(), adapter = Path.Combine(dir, "ce-lora");
        Directory.CreateDirectory(adapter);
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": {{System.Text.Json.JsonSerializer.Serialize(TestPaths.FixtureModel("ce-bert"))}}}""");
        const string module = "base_model.model.bert.encoder.layer.0.attention.self.query";
        float[] Values(int s) => [.. Enumerable.Range(0, 64).Select(i => 0.05f * MathF.Sin(s * 7 + i))];
        SafeTensorsWriter.Write(Path.Combine(adapter, "adapter_model.safetensors"),
            [new($"{module}.lora_A.weight", [2, 32], Values(1)), new($"{module}.lora_B.weight", [32, 2], Values(2))]);
        string task = BeirFolder.Write("{\"_id\": \"d1\", \"text\": \"Bussen går klokka sju.\"}\n{\"_id\": \"d2\", \"text\": \"Huset ligger ved sjøen.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");

        var alone = InProcessSkald.Capture("evaluate", "--model", adapter, "--task", task);
        Assert.NotEqual(0, alone.ExitCode); // it was embedded (exit 0) as the base's encoder, mean-pooled
        Assert.Contains("is a cross-encoder: it scores candidates", alone.Stderr);
        Assert.Contains($"--rerank {adapter})", alone.Stderr); // the adapter folder, not its base (which would drop the adapter)
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", adapter, "--task", task, "--rerank", TestPaths.FixtureModel("ce-bert")),
            2, "--model is a cross-encoder already");
    }
}
