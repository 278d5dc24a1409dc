namespace Skald.Tensors.Autograd;

/// <summary>
/// Counts the bytes of float32 weights dropped by the inference-only modes (packed-only, int8-only) and, after every
/// 128 MB, has the garbage collector take them back with an aggressive, compacting collection, so that the packed or
/// int8 forms made next reuse the freed pages instead of raising the peak (a 0.5B decoder drops about 1.4 GB).
/// </summary>
internal static class ReleasedMemory
{
    private const long CollectEvery = 128L << 20;
    private static long sinceCollect;

    /// <summary>Notes <paramref name="bytes"/> just released; collects once the count since the last collection reaches 128 MB.</summary>
    public static void Note(long bytes)
    {
        if (Interlocked.Add(ref sinceCollect, bytes) < CollectEvery) return;
        Interlocked.Exchange(ref sinceCollect, 0);
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
