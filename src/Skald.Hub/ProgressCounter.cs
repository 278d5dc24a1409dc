namespace Skald.Hub;

/// <summary>Adds up bytes and files from the parallel downloads of one round and reports the sums.</summary>
internal sealed class ProgressCounter(IProgress<HubProgress>? progress, long totalBytes, int totalFiles)
{
    private long bytes;
    private int files;

    /// <summary>Counts <paramref name="n"/> more bytes (negative when a restarted file throws bytes away).</summary>
    public void Add(long n)
    {
        long b = Interlocked.Add(ref bytes, n);
        progress?.Report(new HubProgress(b, totalBytes, Volatile.Read(ref files), totalFiles));
    }

    /// <summary>Counts one more finished file.</summary>
    public void FileDone()
    {
        int f = Interlocked.Increment(ref files);
        progress?.Report(new HubProgress(Interlocked.Read(ref bytes), totalBytes, f, totalFiles));
    }
}
