namespace Skald.Tests;

/// <summary>
/// Test classes that change a setting the whole test process shares (<c>Parallelism.MaxThreads</c>,
/// <c>Blas.Backend</c>) and assert on it, or on bits that depend on it, or that need the engine's shared pool
/// (<c>Parallelism.Pool</c>) free: run alone, after the parallel classes. Run beside each other they fail now and then:
/// a test that sets one thread count (or backend) sees another's, two that save and restore the setting in turn can
/// leave the process the value one of them set, and a class running products back to back can hold the pool through
/// every call of a test that waits for it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessSettingsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "process-wide settings, alone";
}
