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

    [Theory] // JsonFile's lines (were "invalid JSON (... LineNumber: 0 | BytePositionInLine: 0.)"), with a BOM skipped
    [InlineData("", "empty")]
    [InlineData("\uFEFF \n", "empty")]
    [InlineData("{\"eos_token_id\": 2,\n \"ø\": [1 2]}", "not JSON (line 2, column 10): '2' is invalid after a value.")]
    public void AnEmptyOrBrokenGenerationConfigIsOneLineNamingIt(string text, string problem)
    {
        string dir = TestPaths.NewTempDir(), file = Path.Combine(dir, "generation_config.json");
        File.WriteAllText(file, text);
        var e = Assert.Throws<ModelFormatException>(() => GenerationConfig.Load(dir));
        Assert.StartsWith($"{file}: {problem}", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", e.Message, StringComparison.Ordinal);
    }
}
