namespace Skald.Tensors;

/// <summary>
/// The single intra-op parallelism setting of the engine: every multi-threaded kernel (managed GEMM, attention,
/// layer norm, ...) and the OpenBLAS backend use at most <see cref="MaxThreads"/> threads per operation.
/// </summary>
public static class Parallelism
{
    private static int maxThreads = Environment.ProcessorCount;

    /// <summary>Upper bound on threads used by one operation (default <see cref="Environment.ProcessorCount"/>, minimum 1).</summary>
    public static int MaxThreads
    {
        get => maxThreads;
        set => maxThreads = value < 1 ? 1 : value;
    }

    /// <summary>
    /// Runs <paramref name="body"/> over contiguous sub-ranges [start, end) covering [0, <paramref name="count"/>), one
    /// range per thread. Runs inline on the caller when one thread suffices. <paramref name="minPerThread"/> is the
    /// smallest range worth a thread of its own.
    /// </summary>
    internal static void For(int count, int minPerThread, Action<int, int> body)
    {
        if (count <= 0) return;
        int threads = Threads(count, minPerThread);
        if (threads <= 1)
        {
            body(0, count);
            return;
        }
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.For(0, threads, options, t =>
        {
            (int start, int end) = Split(count, threads, t);
            if (end > start) body(start, end);
        });
    }

    /// <summary>Number of threads <see cref="For"/> would use.</summary>
    internal static int Threads(int count, int minPerThread)
    {
        int byWork = minPerThread <= 1 ? count : count / minPerThread;
        return Math.Max(1, Math.Min(MaxThreads, byWork));
    }

    /// <summary>The t-th of <paramref name="parts"/> near-equal contiguous ranges of [0, count).</summary>
    internal static (int Start, int End) Split(int count, int parts, int t)
    {
        long start = (long)count * t / parts;
        long end = (long)count * (t + 1) / parts;
        return ((int)start, (int)end);
    }
}
