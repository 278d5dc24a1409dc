using System.Runtime;

namespace Skald.Tests;

/// <summary>
/// Every test host runs without background GC (Directory.Build.props, as the skald tool does): on a VM that hides its
/// cache sizes .NET picks a tiny gen-0 budget, and background collections then cost allocating tests (the tokenizers'
/// long texts) about a quarter more CPU. Linked into every test project, so each project's runtimeconfig is checked.
/// </summary>
public sealed class TestHostGcTests
{
    [Fact]
    public void TheTestHostRunsWithoutBackgroundGc()
    {
        // Batch is what the runtime reports when concurrent (background) GC is off; with it on, Interactive.
        Assert.Equal(GCLatencyMode.Batch, GCSettings.LatencyMode);
    }
}
