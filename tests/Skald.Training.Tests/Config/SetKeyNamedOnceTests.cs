using System.Text.RegularExpressions;
using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// A bad value given by <c>--set</c> is one line naming its key once, located as <c>--set</c> as a file's value is by
/// its <c>file:line</c> (it read <c>--set training.batch_size: training.batch_size must ...</c>); a pipeline's
/// <c>--set STAGE.KEY</c> shares the location (<c>PipelineSetTests</c>).
/// </summary>
public sealed class SetKeyNamedOnceTests
{
    [Theory]
    [InlineData("training.batch_size=lots", "training.batch_size")]
    [InlineData("training.learning_rate=fast", "training.learning_rate")]
    [InlineData("data.columns={anchor: 1}", "data.columns")]
    [InlineData("loss.type=mnlr", "loss.type")]
    [InlineData("training.bacth_size=8", "training.bacth_size")]
    public void TheKeyIsNamedOnce(string assignment, string key)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(MinimalConfig.Yaml, "c.yaml", [assignment]));
        Assert.StartsWith("--set: ", e.Message, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(e.Message, Regex.Escape(key) + @"(?![\w.])"));
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }
}
