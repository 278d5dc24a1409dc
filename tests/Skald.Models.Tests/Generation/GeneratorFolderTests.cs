using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// A hub folder with only the slow tokenizer (tokenizer.model, no tokenizer.json) is one line saying how to write the
/// fast-tokenizer file, before any weights are read (they may be gigabytes, or here not even valid).
/// </summary>
public sealed class GeneratorFolderTests
{
    [Fact]
    public void ASentencePieceOnlyFolderIsNamedBeforeTheWeightsAreRead()
    {
        string folder = TestPaths.NewTempDir();
        File.Copy(Path.Combine(TestPaths.FixtureModel("decoder-llama3"), "config.json"), Path.Combine(folder, "config.json"));
        File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), [0x0a, 0x01, 0x20]);
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), [1, 2, 3]); // not a safetensors file
        var e = Assert.Throws<ModelFormatException>(() => TextGenerator.Load(folder));
        Assert.Equal($"{Path.Combine(folder, "tokenizer.json")}: file not found (generation needs the tokenizer; Skald reads the " +
            "fast-tokenizer file, not tokenizer.model: save it from Python with AutoTokenizer.from_pretrained(path).save_pretrained(path))", e.Message);
    }
}
