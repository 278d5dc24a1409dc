using System.Text.Json.Nodes;
using Skald.Models.Architectures;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// GTE configs Skald cannot run are refused in one line naming config.json and the key: an unknown RoPE scaling type,
/// a factor below 1, the log-n attention scale over max_position_embeddings 1, an unknown norm or position type, and a class of new-impl's
/// modeling.py that Skald does not know (the module name "modeling" alone is not enough).
/// </summary>
public sealed class GteConfigTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("skald-gte-config").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string WriteConfig(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel("gte-multilingual-tiny"), "config.json")))!.AsObject();
        edit(json);
        string path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Theory]
    [InlineData("rope_scaling", """{"type": "dynamic", "factor": 2.0}""", "rope_scaling.type \"dynamic\" is not supported for GTE (ntk)")]
    [InlineData("rope_scaling", """{"type": "ntk", "factor": 0.5}""", "rope_scaling.factor must be at least 1, found 0.5")]
    [InlineData("rope_scaling", """{"factor": 2.0}""", "rope_scaling.type is missing")]
    [InlineData("layer_norm_type", "\"batch_norm\"", "layer_norm_type \"batch_norm\" is not supported (layer_norm, rms_norm)")]
    [InlineData("position_embedding_type", "\"alibi\"", "position_embedding_type \"alibi\" is not supported for GTE (rope, absolute)")]
    [InlineData("hidden_act", "\"mish\"", "hidden_act \"mish\" is not supported for a gated MLP (silu, gelu_pytorch_tanh, gelu_new, gelu_fast, gelu)")]
    public void UnsupportedOptionIsOneLineNamingFileAndKey(string key, string value, string message)
    {
        string path = WriteConfig(c => c[key] = JsonNode.Parse(value));
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: {message}", e.Message);
    }

    [Fact]
    public void LognScaleNeedsTwoPositionsOrMore()
    {
        string path = WriteConfig(c =>
        {
            c["logn_attention_scale"] = true;
            c["max_position_embeddings"] = 1;
        });
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: key \"logn_attention_scale\" needs max_position_embeddings of 2 or more (the scale divides by its logarithm), found 1", e.Message);
    }

    [Fact]
    public void AnotherClassOfTheModelingModuleIsRefused()
    {
        string path = WriteConfig(c => c["auto_map"] = new JsonObject { ["AutoModel"] = "someone/code--modeling.OtherModel" });
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.StartsWith($"{path}: auto_map.AutoModel names custom code \"someone/code--modeling.OtherModel\" that Skald does not implement (", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void NewModelIsGteWhateverModelTypeSays()
    {
        string path = WriteConfig(c => c["model_type"] = "bert");
        Assert.Equal("gte", TransformerConfig.Load(path).ModelType);
    }
}
