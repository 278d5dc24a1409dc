using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Skald.Cli.Tests;

/// <summary>
/// The collection order of this test project (<see cref="LongRunningFirst"/>): the long classes' collections start
/// first, longest first, so none runs alone at the end of the run; the rest keep xunit's order.
/// </summary>
public sealed class LongRunningFirstTests
{
    private static readonly ITestAssembly Tests = new TestAssembly(Reflector.Wrap(typeof(LongRunningFirstTests).Assembly));

    [Fact]
    public void TheLongClassesCollectionsComeFirstLongestFirst()
    {
        ITestCollection help = OwnCollection<CliHelpTests>(), quickstart = OwnCollection<QuickstartTests>(),
            kill = OwnCollection<IndexKillTests>(), tokenize = OwnCollection<TokenizeCommandTests>();
        ITestCollection packaging = new TestCollection(Tests, null, Packaging.PackageRun.Collection); // ToolInstall + ReadmeLibraryExample
        var order = new LongRunningFirst().OrderTestCollections([help, packaging, quickstart, tokenize, kill]).ToList();
        // IndexKill 91 s, Quickstart 85, packaging 34 + 29 (its two marked classes), then the two short ones in xunit's order
        Assert.Equal(new[] { kill, quickstart, packaging }, order.Take(3));
        Assert.Equal(new DefaultTestCollectionOrderer().OrderTestCollections([tokenize, help]).ToArray(), order.Skip(3));
    }

    [Fact]
    public void XunitsOwnNameForAClassCollectionWithAnIdIsMatched()
    {
        ITestCollection quickstart = new TestCollection(Tests, null, $"Test collection for {typeof(QuickstartTests).FullName} (id: 0123abcd)");
        ITestCollection help = OwnCollection<CliHelpTests>();
        Assert.Equal(new[] { quickstart, help }, new LongRunningFirst().OrderTestCollections([help, quickstart]));
    }

    [Fact]
    public void ThisTestProjectRunsItsCollectionsInThatOrder()
    {
        var data = typeof(LongRunningFirstTests).Assembly.GetCustomAttributesData().Single(a => a.AttributeType == typeof(TestCollectionOrdererAttribute));
        Assert.Equal(new[] { typeof(LongRunningFirst).FullName, typeof(LongRunningFirstTests).Assembly.GetName().Name },
            data.ConstructorArguments.Select(a => (string?)a.Value));
    }

    private static TestCollection OwnCollection<T>() => new(Tests, null, "Test collection for " + typeof(T).FullName);
}
