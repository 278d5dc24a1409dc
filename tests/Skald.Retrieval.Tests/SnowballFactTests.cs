using Skald.Retrieval.Bm25;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Tests that need libstemmer are <see cref="SnowballFactAttribute"/>s, reported skipped with the reason where it is
/// missing: before, five of them asked <see cref="Snowball.IsAvailable"/> themselves and returned early, passing
/// without checking anything.
/// </summary>
public sealed class SnowballFactTests
{
    [Fact]
    public void TheAttributeSkipsExactlyWhenLibstemmerIsMissing()
    {
        string? skip = new SnowballFactAttribute().Skip;
        if (Snowball.IsAvailable) Assert.Null(skip);
        else Assert.Contains("libstemmer0d", skip);
    }

    [Fact]
    public void NoTestAsksForLibstemmerItself()
    {
        string tests = Path.Combine(Repository.Root, "tests"), attribute = Path.Combine(tests, "Shared", "Snowball");
        var asking = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(attribute, StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.EndsWith(nameof(SnowballFactTests) + ".cs", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("Snowball.IsAvailable", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Repository.Root, f)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(asking.Length == 0, $"use [SnowballFact] instead of an early return: {string.Join(", ", asking)}");
    }
}
