using System.Runtime.ExceptionServices;

namespace Skald.Tokenizers.Core;

/// <summary>
/// Runs a batch's per-item body on the calling thread plus up to ProcessorCount − 1 thread-pool workers. The items are
/// cut into contiguous chunks of about <see cref="ChunkChars"/> chars, which the threads claim one at a time
/// (neighbouring results per thread, so no cache line of the output is written by two cores, and a thread that gets
/// less CPU simply claims fewer chunks). The caller never waits for a worker that has not started: a worker that
/// starts after the last chunk was claimed does nothing, so on a loaded machine the batch degrades to the one-thread
/// run instead of queuing behind the scheduler. A batch under <see cref="MinParallelChars"/> runs on the caller only.
/// </summary>
internal static class ParallelBatch
{
    /// <summary>Batches with fewer chars in total run on the calling thread (fork and join cost more than they save).</summary>
    internal const int MinParallelChars = 16 * 1024;

    /// <summary>Target chars per chunk: about a millisecond of work at the slowest tokenizer's rate, 10–50 µs at the fastest.</summary>
    internal const int ChunkChars = 4 * 1024;

    /// <summary>
    /// How many threads a batch of <paramref name="totalChars"/> chars runs on: one below the threshold, else one per
    /// <see cref="MinParallelChars"/> / 2 chars, at most <paramref name="maxThreads"/> (0: the processor count).
    /// </summary>
    internal static int Threads(long totalChars, int maxThreads)
    {
        int cap = maxThreads > 0 ? maxThreads : Environment.ProcessorCount;
        if (cap <= 1 || totalChars < MinParallelChars) return 1;
        return (int)Math.Min(cap, totalChars / (MinParallelChars / 2));
    }

    /// <summary>
    /// Calls <paramref name="body"/> once for each item 0..<paramref name="count"/>-1 (<paramref name="chars"/> gives an
    /// item's size); rethrows the first failure as itself (a tokenizer error fails every text alike: one message, not
    /// an AggregateException of hundreds). <paramref name="maxThreads"/>: 0 for the processor count.
    /// </summary>
    public static void Run(int count, Func<int, int> chars, Action<int> body, int maxThreads = 0)
    {
        long total = 0;
        for (int i = 0; i < count; i++) total += chars(i);
        int threads = Threads(total, maxThreads);
        if (threads == 1 || count < 2)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        // Chunk c covers items [bounds[c], bounds[c + 1]).
        var bounds = new List<int>((int)(total / ChunkChars) + 2) { 0 };
        long inChunk = 0;
        for (int i = 0; i < count; i++)
        {
            inChunk += chars(i) + 1;
            if (inChunk >= ChunkChars && i + 1 < count)
            {
                bounds.Add(i + 1);
                inChunk = 0;
            }
        }
        bounds.Add(count);
        var job = new Job(body, [.. bounds]);
        for (int t = 1; t < Math.Min(threads, job.Chunks); t++)
            ThreadPool.UnsafeQueueUserWorkItem(static j => j.Work(), job, preferLocal: false);
        job.Work();
        job.WaitAll();
    }

    /// <summary>One batch's shared state: the chunk bounds, the next chunk to claim and the count of finished ones.</summary>
    private sealed class Job(Action<int> body, int[] bounds)
    {
        private readonly Action<int> _body = body;
        private readonly int[] _bounds = bounds;
        private readonly ManualResetEventSlim _finished = new(false);
        private int _next;
        private int _done;
        private ExceptionDispatchInfo? _error;

        /// <summary>Number of chunks.</summary>
        public int Chunks => _bounds.Length - 1;

        /// <summary>Claims and runs chunks until none is left (the first failure is kept; later chunks are skipped).</summary>
        public void Work()
        {
            int c;
            while ((c = Interlocked.Increment(ref _next) - 1) < Chunks)
            {
                try
                {
                    if (Volatile.Read(ref _error) is null)
                        for (int i = _bounds[c], end = _bounds[c + 1]; i < end; i++) _body(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
                }
                if (Interlocked.Increment(ref _done) == Chunks) _finished.Set();
            }
        }

        /// <summary>Waits for the chunks other threads are still running, then rethrows the first failure.</summary>
        public void WaitAll()
        {
            // The event is never disposed: the thread finishing the last chunk may still be inside Set.
            if (Volatile.Read(ref _done) != Chunks) _finished.Wait();
            _error?.Throw();
        }
    }
}
