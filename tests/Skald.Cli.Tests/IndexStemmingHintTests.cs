using Skald.Cli.Commands.Index;
using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// `skald index build` without --language ends with "BM25 stemming: none"; a new user indexing Norwegian documents saw
/// that with no word of how to stem, so the line says which option does.
/// </summary>
public sealed class IndexStemmingHintTests
{
    [Fact]
    public void NoLanguageNamesTheOptionThatStems()
    {
        Assert.Equal("none; --language nb, nn, da or sv stems", IndexOptions.Stemming(new IndexManifest()));
        Assert.Equal("norwegian", IndexOptions.Stemming(new IndexManifest { Language = "nb", Stemming = "norwegian" }));
    }
}
