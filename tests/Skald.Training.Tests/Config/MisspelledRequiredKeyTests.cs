using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// A required key missing because it was misspelt is named with the misspelling ("did you mean"), not reported as
/// missing while the key actually written is left unmentioned (a config written from code or by hand).
/// </summary>
public sealed class MisspelledRequiredKeyTests
{
    private const string Minimal = MinimalConfig.Yaml;

    [Theory]
    [InlineData("  path: m\n", "  pth: m\n", "c.yaml:2: unknown config key 'model.pth'; did you mean 'model.path'? (missing required key 'model.path')")]
    [InlineData("  train: d.jsonl\n", "  trian: d.jsonl\n", "c.yaml:4: unknown config key 'data.trian'; did you mean 'data.train'? (missing required key 'data.train')")]
    [InlineData("  dir: out", "  dri: out", "c.yaml:6: unknown config key 'output.dri'; did you mean 'output.dir'? (missing required key 'output.dir')")]
    public void TheMisspeltKeyIsNamed(string key, string misspelt, string expected)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal.Replace(key, misspelt), "c.yaml"));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void AModelPathLeftOutEntirelyIsMissing()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal.Replace("  path: m\n", "  dropout: 0.2\n"), "c.yaml"));
        Assert.Equal("c.yaml: missing required key 'model.path'", e.Message);
    }
}
