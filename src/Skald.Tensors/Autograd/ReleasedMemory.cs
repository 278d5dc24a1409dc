namespace Skald.Tensors.Autograd;

/// <summary>
/// Counts the bytes of weights dropped by the inference-only modes (packed-only, int8-only, bf16-only) and, once they
/// reach a sixteenth of the managed heap (at least 32 MB), has the garbage collector take them back with an aggressive,
/// compacting collection, so that the packed, int8 or bfloat16 forms made next reuse the freed pages instead of raising
/// the peak. A fixed 128 MB left a 12×768 BERT's <c>--quantize bf16</c> conversion 53 MB above the float32 load's own
/// peak (453 against 400 MB) and 24 MB above its encoding peak from a bfloat16 checkpoint; 32 MB removed both (402, 270
/// MB; docs/performance.md, 2026-12-06 18:01). Scaling with the heap keeps the number of collections (each compacts the
/// whole heap) near 16 for a model of any size: a 0.5B decoder, which drops about 1.4 GB, collects about every 128 MB as before.
/// </summary>
internal static class ReleasedMemory
{
    private const long MinCollectEvery = 32L << 20;
    private static long sinceCollect;

    /// <summary>Notes <paramref name="bytes"/> just released; collects once the count since the last collection reaches
    /// max(32 MB, managed heap / 16).</summary>
    public static void Note(long bytes)
    {
        long since = Interlocked.Add(ref sinceCollect, bytes);
        if (since < MinCollectEvery || since < GC.GetTotalMemory(forceFullCollection: false) / 16) return;
        Interlocked.Exchange(ref sinceCollect, 0);
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
