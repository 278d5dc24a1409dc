using Skald.Models.Adapters;
using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Adapters;

/// <summary>
/// peft adapters on sentence-transformers models: a folder saved after <c>SentenceTransformer.add_adapter</c> (modules.json,
/// Pooling, config and tokenizer beside adapter_config.json, no weights) loads its base's transformer weights with the
/// adapter merged; an adapter made with peft's get_peft_model over the whole SentenceTransformer (keys
/// <c>base_model.model.0.auto_model.…</c>) merges as the same adapter on the Transformer's model does, and one on
/// another module (a Dense) is one line saying what it is.
/// </summary>
public sealed class SentenceTransformersAdapterTests
{
    private static readonly string[] Texts = ["Når opnar biblioteket?", "Biblioteket opnar klokka ni."];

    private readonly string dir = TestPaths.NewTempDir();

    private static string Bert => TestPaths.FixtureModel("bert-cased-mean");

    // A rank-2 LoRA on BERT's layer-0 query [32, 32] under the key prefix given, written into folder.
    private static string WriteAdapter(string folder, string modulePrefix, string target = "query", string module = "encoder.layer.0.attention.self.query")
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, PeftAdapters.ConfigFile),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["{{target}}"], "base_model_name_or_path": {{System.Text.Json.JsonSerializer.Serialize(Bert)}}}""");
        float[] Values(int s) => [.. Enumerable.Range(0, 64).Select(i => 0.05f * MathF.Cos(3 * s + i))];
        string key = $"base_model.model.{modulePrefix}{module}";
        SafeTensorsWriter.Write(Path.Combine(folder, PeftAdapters.WeightsFile),
            [new(key + ".lora_A.weight", [2, 32], Values(1)), new(key + ".lora_B.weight", [32, 2], Values(2))]);
        return folder;
    }

    private static void AssertSame(float[][] expected, float[][] actual)
    {
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void AFolderSavedWithAnAdapterOnItsTransformerLoadsTheBaseWeights()
    {
        string saved = Path.Combine(dir, "st-peft");
        TestPaths.CopyFolder(Bert, saved);
        File.Delete(Path.Combine(saved, "model.safetensors"));
        WriteAdapter(saved, "");
        string adapter = WriteAdapter(Path.Combine(dir, "adapter"), "");
        var model = SentenceEncoder.Load(saved);
        var expected = SentenceEncoder.Load(Bert, [adapter]).Encode(Texts);
        AssertSame(expected, model.Encode(Texts));
        Assert.NotEqual(SentenceEncoder.Load(Bert).Encode(Texts)[0], expected[0]);
        Assert.Equal([saved], model.Adapters);
    }

    [Fact]
    public void KeysOfAPeftModelOverTheWholeSentenceTransformerMapToItsTransformer()
    {
        string whole = WriteAdapter(Path.Combine(dir, "whole"), "0.auto_model.");
        string plain = WriteAdapter(Path.Combine(dir, "plain"), "");
        AssertSame(SentenceEncoder.Load(Bert, [plain]).Encode(Texts), SentenceEncoder.Load(Bert, [whole]).Encode(Texts));
    }

    [Fact]
    public void AnAdapterOnADenseModuleIsNamedForWhatItIs()
    {
        string dense = WriteAdapter(Path.Combine(dir, "dense"), "2.", target: "linear", module: "linear");
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Bert, [dense]));
        Assert.Equal($"{Path.Combine(dense, PeftAdapters.WeightsFile)}: base_model.model.2.linear is an adapter on sentence-transformers module 2 " +
            "(2.linear), not on its Transformer's model (peft's get_peft_model over the whole SentenceTransformer); Skald merges adapters into " +
            "the transformer only: train the adapter with target_modules naming transformer layers, or merge it in Python and save the model", e.Message);
    }
}
