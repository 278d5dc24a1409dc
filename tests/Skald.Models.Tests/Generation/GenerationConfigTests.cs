using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>End-of-sequence and padding ids from config.json, overridden by generation_config.json.</summary>
public sealed class GenerationConfigTests
{
    [Fact]
    public void GenerationConfigOverridesConfigAndListsAreAllowed()
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"eos_token_id": 2, "pad_token_id": 0}""");
        Assert.Equal([2], GenerationConfig.Load(dir).EosTokenIds);
        Assert.Equal(0, GenerationConfig.Load(dir).PadTokenId);
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), """{"eos_token_id": [151645, 151643], "pad_token_id": null}""");
        var g = GenerationConfig.Load(dir);
        Assert.Equal([151645, 151643], g.EosTokenIds);
        Assert.Equal(0, g.PadTokenId);
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), """{"eos_token_id": "x"}""");
        var e = Assert.Throws<ModelFormatException>(() => GenerationConfig.Load(dir));
        Assert.Contains("generation_config.json: eos_token_id", e.Message);
    }
}
