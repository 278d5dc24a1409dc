using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary><c>output.save_total_limit</c>: an explicit null keeps every checkpoint, an absent key keeps 2.</summary>
public sealed class SaveTotalLimitTests
{
    private const string Minimal = MinimalConfig.Yaml;

    [Fact]
    public void AbsentKeyKeepsTwo() => Assert.Equal(2, ConfigLoader.Parse(Minimal, "c.yaml").Output.SaveTotalLimit);

    [Theory]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("")]
    public void ExplicitNullInTheFileKeepsEveryCheckpoint(string value) =>
        Assert.Equal(int.MaxValue, ConfigLoader.Parse(Minimal + $"\n  save_total_limit: {value}\n", "c.yaml").Output.SaveTotalLimit);

    [Fact]
    public void ExplicitNullFromSetKeepsEveryCheckpoint()
    {
        var c = ConfigLoader.Parse(Minimal + "\n  save_total_limit: 3\n", "c.yaml", ["output.save_total_limit=null"]);
        Assert.Equal(int.MaxValue, c.Output.SaveTotalLimit);
    }

    [Fact]
    public void ANumberIsKeptAndAQuotedNullIsNoNumber()
    {
        Assert.Equal(5, ConfigLoader.Parse(Minimal, "c.yaml", ["output.save_total_limit=5"]).Output.SaveTotalLimit);
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + "\n  save_total_limit: 'null'\n", "c.yaml"));
        Assert.Contains("c.yaml:7: output.save_total_limit must be a whole number, got 'null'", e.Message);
    }
}
