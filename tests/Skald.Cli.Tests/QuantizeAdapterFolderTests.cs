using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald quantize --model ADAPTER</c>, a PEFT adapter folder given as the model: saved as its base with the adapter
/// merged, in int8, scoring or embedding as the adapter folder does with int8 inference; an adapter on a cross-encoder
/// is saved as a cross-encoder, its classification head kept; a SEQ_CLS adapter over a base without a head (its head in
/// the adapter) is refused in one line naming the adapter and what to do, not saved as an embedding model without its head.
/// </summary>
public sealed class QuantizeAdapterFolderTests
{
    // A rank-2 LoRA on layer 0's query projection [32, 32] of a bert fixture (under prefix), non-zero, its base named.
    private static string Adapter(string folder, string baseModel, string prefix, string extra = "")
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": {{System.Text.Json.JsonSerializer.Serialize(baseModel)}}{{extra}}}""");
        float[] Values(int s) => [.. Enumerable.Range(0, 64).Select(i => 0.05f * MathF.Sin(s * 7 + i))];
        string module = $"base_model.model.{prefix}encoder.layer.0.attention.self.query";
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"),
            [new($"{module}.lora_A.weight", [2, 32], Values(1)), new($"{module}.lora_B.weight", [32, 2], Values(2))]);
        return folder;
    }

    [Fact]
    public void AnAdapterOnACrossEncoderIsSavedAsACrossEncoderWithItsHead()
    {
        if (Skald.Tensors.Quantization.Int8Gemm.Best is null) return; // no int8 kernels here (QuantizeCommandTests covers the refusal)
        string dir = TestPaths.NewTempDir();
        string adapter = Adapter(Path.Combine(dir, "ce-lora"), TestPaths.FixtureModel("ce-bert"), "bert.");
        string output = Path.Combine(dir, "ce-int8");
        var r = InProcessSkald.Capture("quantize", "--model", adapter, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("a cross-encoder", r.Stderr, StringComparison.Ordinal);
        var saved = CrossEncoder.Load(output);
        var live = CrossEncoder.Load(adapter);
        live.KeepInt8Only();
        (string, string)[] pairs = [("Hvor ligger Bergen?", "Bergen ligger på Vestlandet."), ("Kva tid går ferja?", "Katten sover.")];
        Assert.Equal(live.Score(pairs), saved.Score(pairs)); // the same int8 values and the head: the same scores
    }

    [Fact]
    public void AnAdapterOnAnEmbeddingModelIsSavedMergedInInt8()
    {
        if (Skald.Tensors.Quantization.Int8Gemm.Best is null) return;
        string dir = TestPaths.NewTempDir();
        string adapter = Adapter(Path.Combine(dir, "lora"), TestPaths.FixtureModel("bert-cased-mean"), "");
        string output = Path.Combine(dir, "int8");
        var r = InProcessSkald.Capture("quantize", "--model", adapter, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string[] texts = ["Toget går klokka ni", "Biblioteket har åpent i dag"];
        using var live = SentenceEncoder.Load(adapter);
        live.QuantizeInt8 = true;
        using var saved = SentenceEncoder.Load(output);
        using var plainBase = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        plainBase.QuantizeInt8 = true;
        var expected = live.Encode(texts);
        Assert.Equal(expected, saved.Encode(texts));
        Assert.NotEqual(plainBase.Encode(texts)[0], expected[0]); // the adapter is in the saved weights
    }

    [Fact]
    public void ASequenceClassificationAdapterOverABaseWithoutAHeadIsRefused()
    {
        if (Skald.Tensors.Quantization.Int8Gemm.Best is null) return; // refused earlier, for the CPU
        string dir = TestPaths.NewTempDir();
        string adapter = Adapter(Path.Combine(dir, "seq-cls"), TestPaths.FixtureModel("bert-cased-mean"), "", ", \"task_type\": \"SEQ_CLS\"");
        string output = Path.Combine(dir, "int8");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("quantize", "--model", adapter, "--output", output), 1,
            adapter + ": a SEQ_CLS adapter", "no classification head", "--quantize int8",
            $"skald merge --model {TestPaths.FixtureModel("bert-cased-mean")} --adapters {adapter} --output MERGED"); // the way round, runnable
        Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any()); // nothing saved
    }
}
