using Skald.Models.Adapters;
using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Adapters;

/// <summary>
/// adapter_config.json's <c>layers_to_transform</c>, <c>layers_pattern</c> and <c>exclude_modules</c> narrow which
/// adapter tensors are merged as peft's check_target_module_exists (v0.17.1) narrows which modules get a LoRA layer: a
/// module of a target_modules list entry outside those layers, or excluded, is untargeted (left out with the notice); a
/// regular expression, an entry equal to the whole name and all-linear are not narrowed by the layers. Hand-built
/// adapters on decoder-qwen2's two layers; the expected model is the same adapter holding only the tensors peft loads.
/// </summary>
public sealed class PeftLayerSelectionTests : IDisposable
{
    private static readonly string[] Texts = ["Toget går klokka ni", "Biblioteket har åpent i dag"];

    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Decoder => TestPaths.FixtureModel("decoder-qwen2");

    // Rank-2 adapters (ForCausalLM keys, peft's names model.layers.{i}.self_attn.q_proj) on q_proj [64, 64] of the given
    // layers, non-zero; extra is more adapter_config.json (after a comma).
    private string Adapter(string name, string targets, string extra, params int[] layers)
    {
        string folder = Path.Combine(dir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, PeftAdapters.ConfigFile),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": {{targets}}{{extra}}}""");
        var tensors = new List<TensorToWrite>();
        foreach (int layer in layers)
        {
            string key = $"base_model.model.model.layers.{layer}.self_attn.q_proj";
            float[] Values(int n, int s) => [.. Enumerable.Range(0, n).Select(i => 0.05f * MathF.Sin(s * 3 + i + layer))];
            tensors.Add(new(key + ".lora_A.weight", [2, 64], Values(128, 1)));
            tensors.Add(new(key + ".lora_B.weight", [64, 2], Values(128, 2)));
        }
        SafeTensorsWriter.Write(Path.Combine(folder, PeftAdapters.WeightsFile), tensors);
        return folder;
    }

    private float[][] Encode(string adapter, List<string>? notices = null)
    {
        using var scope = ModelNotices.Route((notices ?? []).Add);
        using var model = SentenceEncoder.Load(Decoder, [adapter]);
        return model.Encode(Texts);
    }

    private float[][] Only(params int[] layers) => Encode(Adapter("only-" + string.Join('-', layers), """["q_proj"]""", "", layers));

    private static void AssertSame(float[][] expected, float[][] actual)
    {
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void ATensorInALayerOutsideLayersToTransformIsLeftOutWithTheNotice()
    {
        var notices = new List<string>();
        var got = Encode(Adapter("layer1", """["q_proj"]""", """, "layers_to_transform": [1]""", 0, 1), notices);
        AssertSame(Only(1), got);
        Assert.NotEqual(Only(0, 1)[0], got[0]); // layer 0's tensors would change the embeddings if they were merged
        string line = Assert.Single(notices);
        Assert.Contains("model.layers.0.self_attn.q_proj.lora_A.weight", line);
        Assert.Contains("layers_to_transform 1", line);
    }

    [Fact]
    public void AnIndexAndAPatternNamingTheLayerListSelectThatLayer()
    {
        AssertSame(Only(0), Encode(Adapter("index", """["q_proj"]""", """, "layers_to_transform": 0, "layers_pattern": "layers" """, 0, 1)));
        AssertSame(Only(0), Encode(Adapter("list", """["q_proj"]""", """, "layers_to_transform": [0], "layers_pattern": ["h", "layers"]""", 0, 1)));
        // a pattern the names do not hold: no layer index is found, so nothing is targeted (as peft finds no module)
        var notices = new List<string>();
        using var plain = SentenceEncoder.Load(Decoder);
        AssertSame(plain.Encode(Texts), Encode(Adapter("h", """["q_proj"]""", """, "layers_to_transform": [0, 1], "layers_pattern": "h" """, 0, 1), notices));
        Assert.Contains("nothing of this adapter is merged", Assert.Single(notices));
    }

    [Fact]
    public void LayersDoNotNarrowARegularExpressionAWholeNameOrAllLinear()
    {
        var both = Only(0, 1);
        AssertSame(both, Encode(Adapter("regex", "\".*q_proj\"", """, "layers_to_transform": [1]""", 0, 1)));
        AssertSame(both, Encode(Adapter("whole", """["model.layers.0.self_attn.q_proj", "q_proj"]""", """, "layers_to_transform": [1]""", 0, 1)));
        AssertSame(both, Encode(Adapter("all", "\"all-linear\"", """, "layers_to_transform": [1]""", 0, 1)));
    }

    [Fact]
    public void ExcludedModulesAreLeftOut()
    {
        var layer1 = Only(1);
        AssertSame(layer1, Encode(Adapter("excluded", """["q_proj"]""", """, "exclude_modules": ["layers.0.self_attn.q_proj"]""", 0, 1)));
        AssertSame(layer1, Encode(Adapter("excluded-regex", """["q_proj"]""", """, "exclude_modules": ".*layers\\.0\\..*" """, 0, 1)));
    }

    [Theory]
    [InlineData("\"layers_to_transform\": \"0\"", "layers_to_transform must be a layer index or a list of them")]
    [InlineData("\"layers_to_transform\": [0, -1]", "layers_to_transform must be a layer index or a list of them")]
    [InlineData("\"layers_pattern\": 3", "layers_pattern must be a name or a list of names")]
    [InlineData("\"exclude_modules\": {}", "exclude_modules must be a name or a list of names")]
    [InlineData("\"exclude_modules\": \"(\"", "exclude_modules \"(\" is not a valid regular expression")]
    public void ABadValueIsOneLineNamingTheKey(string setting, string message)
    {
        string adapter = Adapter("bad", """["q_proj"]""", ", " + setting, 0);
        var e = Assert.Throws<ModelFormatException>(() => LoraConfig.Read(Path.Combine(adapter, PeftAdapters.ConfigFile)));
        Assert.Contains(message, e.Message);
        Assert.Contains(PeftAdapters.ConfigFile, e.Message);
    }
}
