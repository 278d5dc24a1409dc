using Skald.Tokenizers.Serialization;

namespace Skald.Tokenizers.Tests;

/// <summary>The one wording of a count and its noun: only exactly one is singular.</summary>
public sealed class CountedTests
{
    [Fact]
    public void OneOfACountIsSingular()
    {
        Assert.Equal("1 list", Counted.Of(1, "list"));
        Assert.Equal("0 lists", Counted.Of(0, "list"));
        Assert.Equal("2 lists", Counted.Of(2, "list"));
        Assert.Equal("1 training query", Counted.Of(1, "training query", "training queries"));
        Assert.Equal("12345 training queries", Counted.Of(12345, "training query", "training queries"));
    }
}
