using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Source patterns (<c>--source</c>, <c>/v1/search</c>'s <c>source</c>; <see cref="SourcePattern"/>): <c>*</c> any run,
/// <c>?</c> one character, and a <c>\</c> written Windows' way is a path separator matching the <c>/</c> an index
/// records (it used to be an escape, so <c>hr\*</c> matched nothing).
/// </summary>
public sealed class SourcePatternTests
{
    [Theory]
    [InlineData("hr/*", "hr/ferie.md", true)]
    [InlineData("hr\\*", "hr/ferie.md", true)]
    [InlineData("hr\\ferie.md", "hr/ferie.md", true)]
    [InlineData("*\\hr\\*", "/srv/docs/hr/ferie.md", true)]
    [InlineData("C:\\docs\\hr\\*.md", "C:/docs/hr/ferie.md", true)]
    [InlineData("C:/docs/hr/*.md", "C:\\docs\\hr\\ferie.md", true)]
    [InlineData("*.pdf", "it/a.pdf", true)]
    [InlineData("*.pdf", "it/a.pdf.txt", false)]
    [InlineData("hr/?erie.md", "hr/ferie.md", true)]
    [InlineData("hr/?erie.md", "hr/erie.md", false)]
    [InlineData("hr/*", "HR/ferie.md", false)] // the case as written
    [InlineData("hr\\*", "hr*", false)] // no escape: '\' is not "a literal *"
    [InlineData("*a*b*", "xxaxxbxx", true)]
    [InlineData("*a*b", "xxaxxbxxc", false)]
    [InlineData("**", "", true)]
    [InlineData("?", "", false)]
    [InlineData("a\\", "a/", true)]
    public void PatternsMatch(string pattern, string path, bool matches) =>
        Assert.Equal(matches, SourcePattern.Matches(pattern, path));

    [Fact]
    public void AFilterTakesBackslashPatternsAgainstTheRecordedSourceAndTheFullPath()
    {
        var filter = IndexFilter.OfSources("hr\\*");
        Assert.True(filter.MatchesSource("hr/ferie.md"));
        Assert.False(filter.MatchesSource("it/vpn.md"));
        var full = IndexFilter.OfSources("*\\docs\\hr\\*");
        Assert.True(full.MatchesSource("hr/ferie.md", "/srv/docs"));
        Assert.False(full.MatchesSource("hr/ferie.md", "/srv/other"));
    }
}
