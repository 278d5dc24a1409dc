using YamlDotNet.RepresentationModel;

namespace Skald.Cli.Tests;

/// <summary>
/// The shipped pipeline examples mine BM25 negatives from samples/documents and samples/handbook, which mix Norwegian,
/// Danish and Swedish: without a <c>language</c> key BM25 left every passage unstemmed, so each example's
/// mine_negatives stage over bm25 says <c>language: auto</c> (each passage stemmed in its own language, as <c>index build --language auto</c>).
/// </summary>
public sealed class ShippedMiningConfigsTests
{
    [Theory]
    [InlineData("adapt-example.yaml")]
    [InlineData("adapt-static-example.yaml")]
    public void Bm25MiningOverTheMixedSamplesStemsEachPassageInItsOwnLanguage(string file)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(TestPaths.RepoRoot, "configs", file))) yaml.Load(reader);
        var stages = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["stages"];
        var mining = stages.Children.Cast<YamlMappingNode>()
            .Where(s => Value(s, "type") == "mine_negatives" && Value(s, "model") == "bm25").ToList();
        Assert.NotEmpty(mining);
        Assert.All(mining, s => Assert.Equal("auto", Value(s, "language")));
    }

    private static string? Value(YamlMappingNode stage, string key) =>
        stage.Children.TryGetValue(new YamlScalarNode(key), out var v) ? ((YamlScalarNode)v).Value : null;
}
