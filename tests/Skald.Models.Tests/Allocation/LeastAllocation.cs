namespace Skald.Models.Tests.Allocation;

/// <summary>
/// The bytes a steady-state step allocates on this thread: the least over several rounds of many calls, so that the
/// JIT's later tiers, which may allocate once in a round, are not counted, while a step that allocates shows in every
/// round.
/// </summary>
internal static class LeastAllocation
{
    /// <summary>The fewest bytes any of <paramref name="rounds"/> rounds of <paramref name="calls"/> calls allocated.</summary>
    public static long Of(Action step, int calls = 50, int rounds = 5)
    {
        long least = long.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++) step();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
