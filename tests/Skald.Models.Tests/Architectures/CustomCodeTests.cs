using System.Text.Json.Nodes;
using Skald.Models.Architectures;

namespace Skald.Models.Tests.Architectures;

/// <summary>Folders published with their own modeling code (config.json's auto_map) are recognised by that code.</summary>
public sealed class CustomCodeTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("skald-custom-code").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string WriteConfig(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel("plain-bert"), "config.json")))!.AsObject();
        edit(json);
        string path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public void UnknownModelingCodeIsOneLineNamingTheClassAndWhatSkaldKnows()
    {
        string path = WriteConfig(c => c["auto_map"] = new JsonObject
        {
            ["AutoConfig"] = "configuration_foo.FooConfig",
            ["AutoModel"] = "modeling_foo.FooModel",
        });
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.StartsWith($"{path}: auto_map.AutoModel names custom code \"modeling_foo.FooModel\" that Skald does not implement (",
            e.Message);
        Assert.Contains("modeling_norbert.py", e.Message);
    }

    [Fact]
    public void AutoMapDecidesTheArchitectureOverModelType()
    {
        // A hub-style reference ("org/repo--module.Class") to NorBERT3's code: the model type follows the code.
        string path = WriteConfig(c =>
        {
            c["model_type"] = "bert";
            c["position_bucket_size"] = 32;
            c["auto_map"] = new JsonObject { ["AutoModelForMaskedLM"] = "ltg/norbert3-base--modeling_norbert.NorbertForMaskedLM" };
        });
        Assert.Equal("norbert", TransformerConfig.Load(path).ModelType);
    }

    [Fact]
    public void CodeOfTwoArchitecturesIsRefused()
    {
        string path = WriteConfig(c => c["auto_map"] = new JsonObject
        {
            ["AutoModel"] = "modeling_norbert.NorbertModel",
            ["AutoModelForMaskedLM"] = "modeling_gptbert.GptBertForMaskedLM",
        });
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: auto_map names the code of two architectures (norbert and gptbert)", e.Message);
    }

    [Fact]
    public void ConfigurationOnlyAutoMapKeepsModelType()
    {
        string path = WriteConfig(c => c["auto_map"] = new JsonObject { ["AutoConfig"] = "configuration_x.XConfig" });
        Assert.Equal("bert", TransformerConfig.Load(path).ModelType);
    }
}
