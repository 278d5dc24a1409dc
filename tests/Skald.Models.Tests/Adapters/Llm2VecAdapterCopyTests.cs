using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Models.Quantization;
using Skald.Tensors.Quantization;

namespace Skald.Models.Tests.Adapters;

/// <summary>
/// A model written from an LLM2Vec adapter folder's base folder (a LoRA run's <c>final/</c> on a decoder with
/// model.attention bidirectional: llm2vec_config.json and the run's query instruction beside the adapter) is an LLM2Vec
/// folder: <c>skald quantize</c> and <c>skald truncate-layers</c> copied the base folder alone, so the int8 or cut model
/// ran causally, padded on the right, with no query instruction.
/// </summary>
public sealed class Llm2VecAdapterCopyTests
{
    private const string Instruction = "Gitt et spørsmål, finn svaret";
    private static readonly string[] Texts = ["Når går ferja til Bergen?", "Biblioteket har åpent til åtte"];

    // A rank-2 LoRA on layer 0's q_proj of decoder-qwen2 whose base_model_name_or_path is the fixture, with the files a
    // Skald LLM2Vec run writes beside it.
    private static string Llm2VecAdapter()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "final");
        Directory.CreateDirectory(folder);
        string decoder = TestPaths.FixtureModel("decoder-qwen2");
        TestPaths.WriteFile(folder, PeftAdapters.ConfigFile,
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "base_model_name_or_path": {{System.Text.Json.JsonSerializer.Serialize(decoder)}}}""");
        float[] Values(int s) => [.. Enumerable.Range(0, 128).Select(i => 0.05f * MathF.Sin(s * 7 + i))];
        SafeTensorsWriter.Write(Path.Combine(folder, PeftAdapters.WeightsFile),
            [new("base_model.model.layers.0.self_attn.q_proj.lora_A.weight", [2, 64], Values(1)),
                new("base_model.model.layers.0.self_attn.q_proj.lora_B.weight", [64, 2], Values(2))]);
        TestPaths.WriteFile(folder, Llm2VecConfig.FileName, """{"pooling_mode": "mean", "max_length": 128, "doc_max_length": 400, "skip_instruction": true}""");
        TestPaths.WriteFile(folder, "config_sentence_transformers.json", $$"""{"prompts": {"query": "{{Instruction}}"}, "similarity_fn_name": "cosine"}""");
        return folder;
    }

    [Fact]
    public void AnLlm2VecAdapterIsSavedAsAnLlm2VecInt8Folder()
    {
        if (Int8Gemm.Best is null) return; // Save needs an int8 kernel
        string adapter = Llm2VecAdapter();
        using var model = SentenceEncoder.Load(adapter);
        Assert.NotNull(model.Folder.Llm2Vec);
        model.QuantizeInt8 = true;
        var options = new EncodeOptions { Instruction = Instruction };
        var expected = model.Encode(Texts, options);
        string dir = Path.Combine(TestPaths.NewTempDir(), "int8");
        Int8Checkpoint.Save(model, dir);

        using var loaded = SentenceEncoder.Load(dir);
        Assert.True(loaded.IsInt8Only);
        Assert.NotNull(loaded.Folder.Llm2Vec);
        Assert.Equal(AttentionMode.Bidirectional, ((IDecoder)loaded.Transformer).AttentionMode);
        Assert.Equal(Tokenizers.PaddingSide.Left, loaded.Folder.PaddingSide);
        Assert.Equal(Instruction, loaded.Folder.Prompts["query"]);
        Assert.Equal(expected, loaded.Encode(Texts, options));
        Assert.Equal(expected, loaded.EncodeQuery(Texts)); // the saved query instruction
    }

    [Fact]
    public void AnLlm2VecAdapterIsCutToAnLlm2VecFolder()
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "cut");
        Assert.Equal(2, LayerTruncation.Write(Llm2VecAdapter(), 1, dir));
        using var cut = SentenceEncoder.Load(dir);
        Assert.Equal(1, cut.Transformer.Config.NumLayers);
        Assert.NotNull(cut.Folder.Llm2Vec);
        Assert.Equal(AttentionMode.Bidirectional, ((IDecoder)cut.Transformer).AttentionMode);
        Assert.Equal(Tokenizers.PaddingSide.Left, cut.Folder.PaddingSide);
        Assert.Equal(Instruction, cut.Folder.Prompts["query"]);
    }
}
