namespace Skald.Hub;

/// <summary>
/// Adds up bytes and files from parallel transfers (the downloads of one round, the large files of an upload) and
/// reports the sums. The sums are taken and reported under one lock, so reports arrive in order: bytes and files never
/// go back because two workers reported at once.
/// </summary>
internal sealed class ProgressCounter(IProgress<HubProgress>? progress, long totalBytes, int totalFiles)
{
    private readonly Lock gate = new();
    private long bytes, total = totalBytes;
    private int files, totalCount = totalFiles;

    /// <summary>Bytes counted so far.</summary>
    public long Bytes
    {
        get
        {
            lock (gate) return bytes;
        }
    }

    /// <summary>Files finished so far.</summary>
    public int Files
    {
        get
        {
            lock (gate) return files;
        }
    }

    /// <summary>Counts <paramref name="n"/> more bytes (negative when a restarted file throws bytes away).</summary>
    public void Add(long n)
    {
        lock (gate)
        {
            bytes += n;
            Report();
        }
    }

    /// <summary>Counts one more finished file.</summary>
    public void FileDone()
    {
        lock (gate)
        {
            files++;
            Report();
        }
    }

    /// <summary>Takes <paramref name="n"/> bytes in <paramref name="count"/> files off the totals (files that turned out not to need sending).</summary>
    public void Drop(long n, int count)
    {
        lock (gate)
        {
            total -= n;
            totalCount -= count;
            Report();
        }
    }

    private void Report() => progress?.Report(new HubProgress(bytes, total, files, totalCount));
}
