using Skald.Cli.IO;
using Skald.Cli.Pipeline;
using YamlDotNet.RepresentationModel;

namespace Skald.Cli.Tests;

/// <summary>
/// A pipeline's <c>--set STAGE.KEY.SUB=VALUE</c> reaches into a mapping as a training config's <c>--set</c> does (the
/// one rule, <c>DottedKey</c>): it was stored as a key named <c>KEY.SUB</c>, which no stage reads.
/// </summary>
public sealed class PipelineDottedSetTests
{
    private static StageConfig Stage(string keys, params string[] overrides)
    {
        string dir = TestPaths.NewTempDir(), config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(config, $"output: {Path.Combine(dir, "out")}\nstages:\n  - {{name: s, type: benchmark, {keys}}}\n");
        return StageConfig.Load(config, overrides).Stages[0];
    }

    [Fact]
    public void ANestedKeyGoesIntoTheMapping()
    {
        var stage = Stage("suite: x, extra: {a: 1}", "s.extra.b=2");
        var map = Assert.IsType<YamlMappingNode>(stage.Keys.Node("extra"));
        Assert.Equal(["a", "b"], map.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
    }

    // A mapping two stages share through a YAML anchor and alias changes only in the stage --set names.
    [Fact]
    public void AMappingAnAliasSharesChangesOnlyWhereSet()
    {
        string dir = TestPaths.NewTempDir(), config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(config, $"output: {Path.Combine(dir, "out")}\nstages:\n" +
            "  - {name: a, type: benchmark, suite: x, extra: &kw {p: 1, inner: {q: 1}}}\n  - {name: b, type: benchmark, suite: x, extra: *kw}\n");
        var stages = StageConfig.Load(config, ["a.extra.p=3", "a.extra.inner.q=4"]).Stages;
        YamlMappingNode Extra(int i) => (YamlMappingNode)stages[i].Keys.Node("extra")!;
        string P(int i) => ((YamlScalarNode)Extra(i).Children[new YamlScalarNode("p")]).Value!;
        string Q(int i) => ((YamlScalarNode)((YamlMappingNode)Extra(i).Children[new YamlScalarNode("inner")]).Children[new YamlScalarNode("q")]).Value!;
        Assert.Equal(("3", "4"), (P(0), Q(0)));
        Assert.Equal(("1", "1"), (P(1), Q(1))); // the level under the anchored mapping was copied too
    }

    [Fact]
    public void AListIsOneLineNamingIt()
    {
        var e = Assert.Throws<InputException>(() => Stage("suite: x, models: [a, b]", "s.models.first=c"));
        Assert.StartsWith("--set s.models.first: s.models is a list (", e.Message, StringComparison.Ordinal);
        Assert.Contains("pipeline.yaml:3), not a mapping", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANameThatHoldsDotsIsQuotedAndAnOpenQuoteIsOneLine()
    {
        var stage = Stage("suite: x, extra: {a: 1}", "s.extra.\"b.c\"=2");
        var map = Assert.IsType<YamlMappingNode>(stage.Keys.Node("extra"));
        Assert.Equal(["a", "b.c"], map.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        var e = Assert.Throws<InputException>(() => Stage("suite: x, extra: {a: 1}", "s.extra.\"b\"c=2"));
        Assert.StartsWith("--set s.extra.\"b\"c: a quoted name is followed by 'c', not a dot", e.Message, StringComparison.Ordinal);
    }
}
