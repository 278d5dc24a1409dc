using System.Text.Json.Nodes;
using Skald.Models.Architectures;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// A config.json key of the wrong JSON type is one error naming the file and the key, never read as absent (which ran
/// a model with the default epsilon or activation instead of the one written).
/// </summary>
public sealed class ConfigKeyTypeTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("skald-config-types").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("bert-cased-mean", "hidden_act", "5", "key \"hidden_act\" must be a string, found 5")]
    [InlineData("bert-cased-mean", "layer_norm_eps", "\"1e-3\"", "key \"layer_norm_eps\" must be a number, found \"1e-3\"")]
    [InlineData("bert-cased-mean", "position_embedding_type", "3", "key \"position_embedding_type\" must be a string, found 3")]
    [InlineData("bert-cased-mean", "model_type", "[1]", "key \"model_type\" must be a string, found [1]")]
    [InlineData("decoder-gemma", "hidden_activation", "true", "key \"hidden_activation\" must be a string, found true")]
    [InlineData("modernbert-tiny", "classifier_activation", "{}", "key \"classifier_activation\" must be a string, found {}")]
    [InlineData("norbert3-tiny", "layer_norm_eps", "[]", "key \"layer_norm_eps\" must be a number, found []")]
    public void AKeyOfTheWrongTypeIsNamed(string fixture, string key, string json, string expected)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel(fixture), "config.json")))!.AsObject();
        config[key] = JsonNode.Parse(json);
        string path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, config.ToJsonString());
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: {expected}", e.Message);
    }
}
