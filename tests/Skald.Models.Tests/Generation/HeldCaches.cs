using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// The most bytes of key/value caches reachable at once while a generator decodes over <see cref="RecordingDecoder"/>,
/// found by the garbage collector rather than by the generator's own count: every cache a pass uses is watched
/// (weakly); when the config is read to size a new cache, the watched caches still reachable after a full collection
/// are summed, and the new one, once its first pass shows it, is added to that sum (so an old cache a growing one
/// still holds counts); <see cref="Measure"/> sums them at any other moment.
/// </summary>
internal sealed class HeldCaches
{
    private readonly List<WeakReference<KvCache>> watched = [];
    private long? sizing; // bytes reachable while the config was read for the next cache

    /// <summary>Watches the caches of <paramref name="decoder"/>'s passes (it takes its Cached and ReadingConfig hooks).</summary>
    public HeldCaches(RecordingDecoder decoder)
    {
        decoder.ReadingConfig = () => sizing = Reachable();
        decoder.Cached = cache =>
        {
            if (watched.Exists(w => w.TryGetTarget(out var c) && ReferenceEquals(c, cache))) return;
            watched.Add(new WeakReference<KvCache>(cache));
            if (sizing is { } before) Peak = Math.Max(Peak, before + cache.Bytes);
            sizing = null;
        };
    }

    /// <summary>The most bytes held at once so far.</summary>
    public long Peak { get; private set; }

    /// <summary>Counts the bytes reachable now.</summary>
    public void Measure() => Peak = Math.Max(Peak, Reachable());

    /// <summary>Forgets the peak so far (the caches stay watched).</summary>
    public void Forget() => Peak = 0;

    /// <summary>Bytes of the watched caches reachable now, after a full collection.</summary>
    public long Reachable()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long bytes = 0;
        foreach (var w in watched)
        {
            if (w.TryGetTarget(out var cache)) bytes += cache.Bytes;
        }
        return bytes;
    }
}
