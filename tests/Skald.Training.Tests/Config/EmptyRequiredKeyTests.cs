using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>A required key given empty is named where it was given (its line, or the <c>--set</c>), not against the file.</summary>
public sealed class EmptyRequiredKeyTests
{
    private const string Minimal = MinimalConfig.Yaml;

    [Theory]
    [InlineData("data.train=[]", "--set: data.train is required and must not be empty")]
    [InlineData("data.train=null", "--set: data.train is required and must not be empty")]
    [InlineData("output.dir=", "--set: output.dir is required and must not be empty")]
    public void AnEmptyValueFromSetNamesTheSet(string assignment, string expected)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal, "c.yaml", [assignment]));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void AnEmptyListInTheFileNamesItsLine()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal.Replace("train: d.jsonl", "train: []"), "c.yaml"));
        Assert.Equal("c.yaml:4: data.train is required and must not be empty", e.Message);
    }

    [Fact]
    public void AnAbsentKeyIsStillNamedAgainstTheFile()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal.Replace("  train: d.jsonl\n", "  sampling: round_robin\n"), "c.yaml"));
        Assert.Equal("c.yaml: missing required key 'data.train'", e.Message);
    }
}
