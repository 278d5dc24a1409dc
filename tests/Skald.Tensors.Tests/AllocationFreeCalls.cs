namespace Skald.Tensors.Tests;

/// <summary>
/// Whether a warm call allocates nothing on this thread, counted per call: a call made while another test holds the
/// engine's shared pool takes Parallel.For (which allocates), so calls go on (up to 20 s) until one finds the pool free,
/// while a call that allocates on every path (a closure) never comes out clean.
/// </summary>
internal static class AllocationFreeCalls
{
    /// <summary>Runs <paramref name="call"/> at least <paramref name="calls"/> times, then until one allocates nothing
    /// or 20 s have passed; the calls that allocated nothing and all calls made.</summary>
    public static (int Clean, int Calls) Count(Action call, int calls = 100)
    {
        int clean = 0, made = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (made < calls || (clean == 0 && clock.Elapsed.TotalSeconds < 20))
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            call();
            if (GC.GetAllocatedBytesForCurrentThread() == before) clean++;
            made++;
        }
        return (clean, made);
    }
}
