using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Skald.Tests;

/// <summary>
/// The test collection order of every test project (Directory.Build.props names it for each): the collections holding a
/// <see cref="RunsLongAttribute"/> class first, longest first, then the rest in xunit's own order. Collections run in
/// parallel, started in this order, so a long one started last ran alone at the run's end (Cli.Tests' quickstart and
/// packaging: the last 80 s of its run, docs/performance.md); started first, it overlaps the short ones. A collection's
/// tests still run one at a time, and collections that disable parallelisation still run alone after the others.
/// </summary>
public sealed class LongRunningFirst : ITestCollectionOrderer
{
    /// <inheritdoc/>
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections)
    {
        ArgumentNullException.ThrowIfNull(testCollections);
        var ordered = new DefaultTestCollectionOrderer().OrderTestCollections(testCollections).ToList();
        if (ordered.Count == 0 || ordered[0].TestAssembly.Assembly is not IReflectionAssemblyInfo tests) return ordered;
        var seconds = LongClassesByCollection(tests.Assembly);
        // OrderByDescending is stable: the rest (0 s) keep xunit's order
        return ordered.OrderByDescending(c => seconds.GetValueOrDefault(NameOf(c)));
    }

    /// <summary>
    /// A collection's name as <see cref="LongClassesByCollection"/> keys it: its display name, less the " (id: …)" some
    /// xunit versions append to a class's own collection.
    /// </summary>
    private static string NameOf(ITestCollection collection)
    {
        string name = collection.DisplayName;
        int id = name.IndexOf(" (id: ", StringComparison.Ordinal);
        return name.StartsWith(ImplicitPrefix, StringComparison.Ordinal) && id > 0 ? name[..id] : name;
    }

    // xunit's display name of a class's own collection (a class without a [Collection]): this and the class's full name
    private const string ImplicitPrefix = "Test collection for ";

    /// <summary>
    /// The seconds of the <see cref="RunsLongAttribute"/> classes, summed by the display name of their collection: the
    /// name in the class's <see cref="CollectionAttribute"/>, else xunit's name for a class's own collection.
    /// </summary>
    private static Dictionary<string, int> LongClassesByCollection(Assembly assembly)
    {
        var seconds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            if (type.GetCustomAttribute<RunsLongAttribute>() is not { } runsLong) continue;
            string name = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == typeof(CollectionAttribute)) is { } explicitCollection
                ? (string)explicitCollection.ConstructorArguments[0].Value!
                : ImplicitPrefix + type.FullName;
            seconds[name] = seconds.GetValueOrDefault(name) + runsLong.Seconds;
        }
        return seconds;
    }
}
