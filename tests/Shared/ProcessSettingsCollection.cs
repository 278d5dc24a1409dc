namespace Skald.Tests;

/// <summary>
/// Test classes that change a setting the whole test process shares (<c>Parallelism.MaxThreads</c>,
/// <c>Blas.Backend</c>) and assert on it, or on bits that depend on it: run alone, after the parallel classes. Run
/// beside each other they fail now and then: a test that sets one thread count (or backend) sees another's, and two
/// that save and restore the setting in turn can leave the process the value one of them set.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessSettingsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "process-wide settings, alone";
}
