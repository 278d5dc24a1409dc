namespace Skald.Tensors.Autograd;

/// <summary>
/// Counts the bytes of weights dropped by the inference-only modes (packed-only, int8-only, bf16-only) and, after every
/// 32 MB, has the garbage collector take them back with an aggressive, compacting collection, so that the packed, int8
/// or bfloat16 forms made next reuse the freed pages instead of raising the peak (a 0.5B decoder drops about 1.4 GB).
/// Every 128 MB left a 12×768 BERT's <c>--quantize bf16</c> conversion 53 MB above the float32 load's own peak (453
/// against 400 MB) and 24 MB above its encoding peak from a bfloat16 checkpoint; every 32 MB both go (402, 270 MB), for
/// load times within their noise on a loaded 2-core host (docs/performance.md, 2026-12-06 18:01).
/// </summary>
internal static class ReleasedMemory
{
    private const long CollectEvery = 32L << 20;
    private static long sinceCollect;

    /// <summary>Notes <paramref name="bytes"/> just released; collects once the count since the last collection reaches 32 MB.</summary>
    public static void Note(long bytes)
    {
        if (Interlocked.Add(ref sinceCollect, bytes) < CollectEvery) return;
        Interlocked.Exchange(ref sinceCollect, 0);
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
