using Skald.Models.Adapters;
using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Adapters;

/// <summary>
/// Adapter tensors of modules that adapter_config.json's target_modules does not name are not merged, as peft creates
/// LoRA layers only for targeted modules (check_target_module_exists: a list entry equal to the module name or a
/// dotted suffix of it; a string as a regular expression matching the whole name) and leaves other keys unloaded.
/// </summary>
public sealed class UntargetedAdapterTensorTests
{
    private static readonly string[] Texts = ["Toget går klokka ni", "Biblioteket har åpent i dag"];

    private readonly string dir = TestPaths.NewTempDir();

    private static string Decoder => TestPaths.FixtureModel("decoder-qwen2");

    // Rank-2 adapters (ForCausalLM keys) on the given (layer, projection, outputs) modules of decoder-qwen2, non-zero.
    private string Adapter(string name, string targets, params (int Layer, string Module, int Out)[] modules)
    {
        string folder = Path.Combine(dir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, PeftAdapters.ConfigFile),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": {{targets}}}""");
        var tensors = new List<TensorToWrite>();
        foreach (var (layer, module, outputs) in modules)
        {
            string key = $"base_model.model.model.layers.{layer}.self_attn.{module}";
            float[] Values(int n, int s) => [.. Enumerable.Range(0, n).Select(i => 0.05f * MathF.Sin(s * 3 + i + layer))];
            tensors.Add(new(key + ".lora_A.weight", [2, 64], Values(128, 1)));
            tensors.Add(new(key + ".lora_B.weight", [outputs, 2], Values(2 * outputs, 2)));
        }
        SafeTensorsWriter.Write(Path.Combine(folder, PeftAdapters.WeightsFile), tensors);
        return folder;
    }

    private static void AssertSame(float[][] expected, float[][] actual)
    {
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void AModuleOutsideTheListIsNotMerged()
    {
        var both = SentenceEncoder.Load(Decoder, [Adapter("both", """["q_proj"]""", (0, "q_proj", 64), (0, "k_proj", 32))]);
        var qOnly = SentenceEncoder.Load(Decoder, [Adapter("q", """["q_proj"]""", (0, "q_proj", 64))]);
        AssertSame(qOnly.Encode(Texts), both.Encode(Texts));
        // the k_proj tensors would change the embeddings if they were merged
        var merged = SentenceEncoder.Load(Decoder, [Adapter("qk", """["q_proj", "k_proj"]""", (0, "q_proj", 64), (0, "k_proj", 32))]);
        Assert.NotEqual(qOnly.Encode(Texts)[0], merged.Encode(Texts)[0]);
    }

    [Fact]
    public void ARegularExpressionMustMatchTheWholeModuleName()
    {
        // "layers\.1\..*q_proj" matches no whole name (they start with "model."); ".*layers\.1\..*q_proj" matches layer 1 only
        var anchored = SentenceEncoder.Load(Decoder, [Adapter("anchored", "\"model\\\\.layers\\\\.1\\\\..*q_proj\"", (0, "q_proj", 64), (1, "q_proj", 64))]);
        var layer1 = SentenceEncoder.Load(Decoder, [Adapter("layer1", """["q_proj"]""", (1, "q_proj", 64))]);
        AssertSame(layer1.Encode(Texts), anchored.Encode(Texts));
        var partial = SentenceEncoder.Load(Decoder, [Adapter("partial", "\"layers\\\\.1\"", (0, "q_proj", 64), (1, "q_proj", 64))]);
        AssertSame(SentenceEncoder.Load(Decoder).Encode(Texts), partial.Encode(Texts)); // nothing merged, as peft loads nothing
    }

    [Fact]
    public void TheTensorsLeftOutAreOneNoticeToTheHookNotTheConsole()
    {
        var model = Skald.Models.Architectures.ArchitectureRegistry.Load(Decoder);
        var notices = new List<string>();
        PeftAdapters.Merge(Adapter("hook", """["q_proj"]""", (0, "q_proj", 64), (0, "k_proj", 32)), model.Parameters, null, notices.Add);
        string line = Assert.Single(notices);
        Assert.Contains("layers.0.self_attn.k_proj", line);
        Assert.Contains("target_modules (q_proj)", line);

        // a load reports through the callback routed for its flow, once per adapter that leaves tensors out
        string adapter = Adapter("routed", """["q_proj"]""", (0, "q_proj", 64), (0, "k_proj", 32));
        var routed = new List<string>();
        using (ModelNotices.Route(routed.Add))
            SentenceEncoder.Load(Decoder, [adapter]).Dispose();
        Assert.Single(routed);
        Assert.Contains(adapter, routed[0]);
        SentenceEncoder.Load(Decoder, [adapter]).Dispose(); // the scope ended: nothing more reaches it
        Assert.Single(routed);
        var clean = new List<string>();
        using (ModelNotices.Route(clean.Add))
            SentenceEncoder.Load(Decoder, [Adapter("clean", """["q_proj"]""", (0, "q_proj", 64))]).Dispose();
        Assert.Empty(clean); // every tensor merged: nothing to say
    }

    [Fact]
    public void TheCountOfWeightsChangedLeavesThemOut()
    {
        var model = Skald.Models.Architectures.ArchitectureRegistry.Load(Decoder);
        var k = model.Parameters.Single(p => p.Name == "layers.0.self_attn.k_proj.weight");
        var before = k.Data.ToArray();
        Assert.Equal(1, PeftAdapters.Merge(Adapter("count", """["q_proj"]""", (0, "q_proj", 64), (0, "k_proj", 32)), model.Parameters));
        Assert.Equal(before, k.Data.ToArray());
    }
}
