namespace Skald.Models.Tests.Allocation;

/// <summary>
/// Tests that count the bytes the whole process allocates (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, since kernels
/// run on the engine's worker threads too): alone, with no other test's work on the heap or the engine's pool.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "process allocation";
}
