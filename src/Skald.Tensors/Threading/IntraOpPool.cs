using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Skald.Tensors;

/// <summary>
/// The engine's own intra-op thread pool behind <see cref="Parallelism"/>: long-lived background workers plus the
/// calling thread run one parallel region at a time. A region publishes (count, chunks, body); every thread in it
/// claims chunk indices from one shared counter, and chunk c's bounds depend only on the region's arguments
/// (<see cref="Parallelism.Split"/>, or the guided plan, see <see cref="Guided"/>), so which thread runs a chunk never
/// changes a result. Between regions a worker spins watching for the next one, for <see cref="SpinMicroseconds"/> or,
/// if longer, as long as its share of the region it just left took (at most 2 ms), then blocks on its own event (a
/// BERT layer runs its regions back to back with short serial steps between them, so most regions find the workers
/// awake and pay no wake-up, which on a VM costs a futex call and a vCPU wake; a spin bounded by the work just done
/// costs at most that much CPU again). Allocates nothing per region.
/// </summary>
/// <remarks>
/// Region protocol: <c>state</c> packs the region's generation (high 32 bits), a closed flag and the number of
/// workers inside the region (low 16 bits). A worker joins by a compare-exchange that checks the generation it saw,
/// that the region is open and below its cap, so it can only enter the region whose fields it then reads. The caller
/// runs chunks until none is left, sets the closed flag, and waits (spinning up to the region's length so far, see
/// <see cref="WaitForHelpers"/>) until the workers inside have left (the last one
/// out sets <c>done</c>); only then does it publish the next region. One caller at a time: <see cref="TryRun"/>
/// returns false when another thread holds the pool, and a body that calls <see cref="Parallelism"/> again sees
/// <see cref="InRegion"/> and runs inline.
/// </remarks>
internal sealed class IntraOpPool : IDisposable
{
    /// <summary>Most workers a pool keeps (the joined count has 16 bits).</summary>
    internal const int MaxWorkers = 255;

    private const long Closed = 1L << 16;
    private const long CountMask = Closed - 1;
    private const int SpinUnit = 20;

    /// <summary>Cap on the spin that follows a region's length (2 ms): long regions (a training step's products) would
    /// otherwise spin a core for as long again while the caller does serial work, taking it from other threads.</summary>
    internal static readonly long MaxAdaptiveSpinTicks = Stopwatch.Frequency / 500;

    /// <summary>
    /// Until when a thread spins before blocking, from <paramref name="now"/>: the pool's spin time or, if longer, the
    /// <paramref name="workTicks"/> the thread just spent in (or waiting on) a region, capped at 2 ms.
    /// </summary>
    internal static long SpinDeadline(long now, long spinTicks, long workTicks) =>
        now + Math.Max(spinTicks, Math.Min(workTicks, MaxAdaptiveSpinTicks));

    [ThreadStatic] private static bool inRegion;

    private readonly Thread?[] threads = new Thread?[MaxWorkers];
    private readonly ManualResetEventSlim?[] wake = new ManualResetEventSlim?[MaxWorkers];
    private readonly int[] sleeping = new int[MaxWorkers];
    private readonly int[] retire = new int[MaxWorkers];
    private readonly long[] startGeneration = new long[MaxWorkers];
    private readonly ManualResetEventSlim done = new(false, 1);
    private int workerCount;
    private int targetWorkers;
    private int busy;
    private long spinTicks;

    // The published region (written by the caller only while no worker is inside).
    private Action<int, int>? body;
    private int count, chunks, scale, limit, joinCap;
    private bool guided;
    private readonly int[] starts = new int[MaxGuidedChunks + 1]; // guided regions: chunk c is [starts[c], starts[c + 1])
    private Exception? error;
    private int next;
    private long state = Closed;

    /// <summary>A pool that will keep <paramref name="workers"/> background threads (started on first use).</summary>
    internal IntraOpPool(int workers, double spinMicroseconds)
    {
        TargetWorkers = workers;
        SpinMicroseconds = spinMicroseconds;
        // The caller's event creates its lock object the first time a wait blocks. Now that the caller mostly spins,
        // that first block could fall in any later region and allocate there: block once here (1 ms) instead.
        done.Wait(1);
    }

    /// <summary>True on a pool worker, and on a caller while it runs its share of a region: a parallel call made
    /// there is nested and runs inline.</summary>
    internal static bool InRegion => inRegion;

    /// <summary>
    /// Runs body(start, end) marked as inside a region, as a pool worker runs it (parallel calls it makes run inline),
    /// then restores the thread's mark: for <see cref="Parallelism"/>'s fallback onto .NET's pool, so that a region there
    /// nests as one on this pool does instead of forking again from every thread.
    /// </summary>
    internal static void RunInRegion(Action<int, int> body, int start, int end)
    {
        bool was = inRegion;
        inRegion = true;
        try
        {
            body(start, end);
        }
        finally
        {
            inRegion = was;
        }
    }

    /// <summary>Workers the pool keeps: extra workers stop at once when the pool is idle (else at the next region);
    /// missing ones start with the next region.</summary>
    internal int TargetWorkers
    {
        get => Volatile.Read(ref targetWorkers);
        set
        {
            int target = Math.Clamp(value, 0, MaxWorkers);
            Volatile.Write(ref targetWorkers, target);
            if (target >= Volatile.Read(ref workerCount) || Interlocked.CompareExchange(ref busy, 1, 0) != 0) return;
            try
            {
                Resize();
            }
            finally
            {
                Volatile.Write(ref busy, 0);
            }
        }
    }

    /// <summary>Background workers currently running.</summary>
    internal int Workers => Volatile.Read(ref workerCount);

    /// <summary>How long an idle worker (and a caller waiting for the last chunk) spins before blocking.</summary>
    internal double SpinMicroseconds
    {
        get => Volatile.Read(ref spinTicks) * 1e6 / Stopwatch.Frequency;
        set => Volatile.Write(ref spinTicks, (long)(Math.Max(0, value) * Stopwatch.Frequency / 1e6));
    }

    /// <summary>
    /// Runs <paramref name="body"/> over the <paramref name="chunkCount"/> chunks of [0, <paramref name="units"/>) on
    /// the caller and up to <paramref name="threadCount"/> - 1 workers; a chunk [u0, u1) of units is handed to the body as
    /// [min(<paramref name="elements"/>, u0·<paramref name="unit"/>), min(<paramref name="elements"/>, u1·<paramref name="unit"/>)).
    /// Returns false (running nothing) when another thread holds the pool or the pool has no worker. Rethrows the first
    /// exception a body threw.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool TryRun(int units, int chunkCount, int threadCount, Action<int, int> body, int unit, int elements,
        bool allowGuided = true)
    {
        if (Interlocked.CompareExchange(ref busy, 1, 0) != 0) return false;
        try
        {
            if (workerCount != Volatile.Read(ref targetWorkers)) Resize();
            long started = Stopwatch.GetTimestamp();
            int helpers = Math.Min(workerCount, Math.Min(threadCount, chunkCount) - 1);
            if (workerCount == 0) return false; // MaxThreads 1 and a GEMM asking for more: Parallel.For, as asked
            this.body = body;
            count = units;
            guided = UsesGuided(allowGuided, chunkCount, threadCount);
            chunks = guided ? PlanGuided(units, chunkCount, threadCount, starts) : chunkCount;
            scale = unit;
            limit = elements;
            error = null;
            next = 0;
            joinCap = helpers;
            if (helpers > 0)
            {
                long generation = (long)((ulong)Volatile.Read(ref state) >> 32) + 1;
                Interlocked.Exchange(ref state, generation << 32);
                for (int w = 0; w < helpers; w++)
                    if (Volatile.Read(ref sleeping[w]) != 0) wake[w]!.Set();
            }
            inRegion = true;
            try
            {
                RunChunks();
            }
            finally
            {
                inRegion = false;
            }
            if (helpers > 0 && (Interlocked.Or(ref state, Closed) & CountMask) != 0) WaitForHelpers(started);
            this.body = null;
            Exception? failure = error;
            error = null;
            if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
            return true;
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    /// <summary>
    /// Guided chunks (on by default; off for bench/kernel's A/B): a region of at least 2 chunks per thread keeps its
    /// uniform chunk size u = ⌈units / chunks⌉ while much work remains, then cuts chunks of ⌈remaining / (2 · threads)⌉
    /// units, down to a floor of units / (<see cref="GuidedFloor"/> · chunks). When the queue runs dry, the thread that
    /// finishes first then waits for at most one small chunk instead of up to one uniform chunk (a 12×384 BERT pass at
    /// batch 32 × 32 spent ~5% of its CPU time in that wait, and ran 2–4% faster guided, bench/kernel forward); no
    /// chunk is larger than a uniform one, so a thread that loses its core holds no more work than before. The bounds
    /// depend only on (units, chunks, threads), never on which thread claims a chunk, and results do not depend on
    /// chunk bounds (the GEMM's tiles and the aligned element-wise ranges are the same at any split).
    /// </summary>
    internal static bool Guided = true;

    /// <summary>See <see cref="Guided"/> (bench/kernel's A/B sets it).</summary>
    internal static int GuidedFloor = 4;

    internal const int MaxGuidedChunks = 128;

    /// <summary>
    /// Whether a region of <paramref name="chunks"/> uniform chunks on <paramref name="threads"/> threads is cut into
    /// guided chunks instead (<see cref="Guided"/>; <paramref name="allowed"/>: the caller's choice).
    /// </summary>
    internal static bool UsesGuided(bool allowed, int chunks, int threads) => allowed && Guided && chunks >= 2 * threads;

    /// <summary>
    /// The guided chunk starts of [0, <paramref name="units"/>) into <paramref name="starts"/> (chunk c is
    /// [starts[c], starts[c + 1]); room for <see cref="MaxGuidedChunks"/> + 1 entries); returns the chunk count. Used by
    /// the pool and by <see cref="Parallelism"/>'s Parallel.For fallback alike, so both cut a region the same way.
    /// </summary>
    internal static int PlanGuided(int units, int uniformChunks, int threads, Span<int> starts)
    {
        int most = (units + uniformChunks - 1) / uniformChunks;
        int floor = Math.Max(1, units / (uniformChunks * Math.Max(1, GuidedFloor)));
        int k = 0, start = 0;
        starts[0] = 0;
        while (start < units)
        {
            int size = Math.Clamp((units - start + 2 * threads - 1) / (2 * threads), Math.Min(floor, most), most);
            start = k == MaxGuidedChunks - 1 ? units : Math.Min(units, start + size);
            starts[++k] = start;
        }
        return k;
    }

    /// <summary>Stops the workers (waits for them to exit).</summary>
    public void Dispose()
    {
        SpinWait spin = default;
        while (Interlocked.CompareExchange(ref busy, 1, 0) != 0) spin.SpinOnce();
        try
        {
            Volatile.Write(ref targetWorkers, 0);
            Resize();
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunChunks()
    {
        Action<int, int> run = body!;
        int n = count, parts = chunks, unit = scale, end = limit;
        try
        {
            int c;
            while ((c = Interlocked.Increment(ref next) - 1) < parts)
            {
                long u0 = guided ? starts[c] : (long)n * c / parts, u1 = guided ? starts[c + 1] : (long)n * (c + 1) / parts;
                int s = (int)Math.Min(end, u0 * unit), e = (int)Math.Min(end, u1 * unit);
                if (e > s) run(s, e);
            }
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref error, ex, null);
            Volatile.Write(ref next, parts); // the others stop claiming
        }
    }

    /// <summary>
    /// Waits for the workers still inside the region (each finishing its last chunk). Spins for the pool's spin time
    /// or, if longer, as long as the region has run so far (at most 2 ms), then blocks: a worker inside is running a
    /// chunk no longer than the caller's own, and on a VM a blocked caller's wake-up costs a futex call and a vCPU
    /// wake (spinning 2 ms instead of 50 µs made a 12×384 BERT pass at batch 32 × 32 about 7% faster in wall time,
    /// bench/kernel forward). The spin is bounded by the region's own length, so a worker that lost its core costs
    /// at most as much CPU again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WaitForHelpers(long started)
    {
        long now = Stopwatch.GetTimestamp();
        long deadline = SpinDeadline(now, Volatile.Read(ref spinTicks), now - started);
        while (!done.IsSet && Stopwatch.GetTimestamp() < deadline) Thread.SpinWait(SpinUnit);
        done.Wait(); // the last worker out always sets it: consume that signal before the next region
        done.Reset();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WorkerLoop(object? slot)
    {
        int w = (int)slot!;
        inRegion = true; // anything a worker runs is inside a region
        ManualResetEventSlim signal = wake[w]!;
        long seen = Volatile.Read(ref startGeneration[w]);
        long deadline = Stopwatch.GetTimestamp() + Volatile.Read(ref spinTicks);
        while (Volatile.Read(ref retire[w]) == 0)
        {
            long s = Volatile.Read(ref state);
            if ((long)((ulong)s >> 32) != seen)
            {
                seen = (long)((ulong)s >> 32);
                long joined = Stopwatch.GetTimestamp();
                TryJoin(s);
                long left = Stopwatch.GetTimestamp();
                // Spin at least as long as the share of the region just run (a pass's serial steps between its
                // regions, such as a layer's output copy, are shorter than its products), at least the spin time.
                deadline = SpinDeadline(left, Volatile.Read(ref spinTicks), left - joined);
            }
            else if (Stopwatch.GetTimestamp() < deadline)
            {
                Thread.SpinWait(SpinUnit);
            }
            else
            {
                signal.Reset();
                Interlocked.Exchange(ref sleeping[w], 1); // full fence: the caller's publish or this re-check sees the other
                if ((long)((ulong)Volatile.Read(ref state) >> 32) == seen && Volatile.Read(ref retire[w]) == 0) signal.Wait();
                Volatile.Write(ref sleeping[w], 0);
                deadline = Stopwatch.GetTimestamp() + Volatile.Read(ref spinTicks);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TryJoin(long s)
    {
        while ((s & Closed) == 0 && (s & CountMask) < Volatile.Read(ref joinCap))
        {
            long seen = Interlocked.CompareExchange(ref state, s + 1, s);
            if (seen == s)
            {
                RunChunks();
                long after = Interlocked.Decrement(ref state);
                if ((after & Closed) != 0 && (after & CountMask) == 0) done.Set();
                return;
            }
            if (seen >> 32 != s >> 32) return; // a newer region: the worker loop picks it up
            s = seen;
        }
    }

    /// <summary>Starts or stops workers to reach the target; the caller holds <c>busy</c>, so no region is running.</summary>
    private void Resize()
    {
        int target = Volatile.Read(ref targetWorkers);
        for (int w = target; w < workerCount; w++)
        {
            Volatile.Write(ref retire[w], 1);
            wake[w]!.Set();
        }
        for (int w = target; w < workerCount; w++)
        {
            threads[w]!.Join();
            threads[w] = null;
        }
        long generation = (long)((ulong)Volatile.Read(ref state) >> 32);
        for (int w = workerCount; w < target; w++)
        {
            wake[w] ??= new ManualResetEventSlim(false, 1);
            wake[w]!.Reset();
            retire[w] = 0;
            sleeping[w] = 0;
            startGeneration[w] = generation;
            threads[w] = new Thread(WorkerLoop) { IsBackground = true, Name = $"Skald intra-op {w + 1}" };
            threads[w]!.Start(w);
        }
        workerCount = target;
    }
}
