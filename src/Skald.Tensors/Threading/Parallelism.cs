namespace Skald.Tensors;

/// <summary>
/// The single intra-op parallelism setting of the engine: every multi-threaded kernel (managed GEMM, attention,
/// layer norm, ...) and the OpenBLAS backend use at most <see cref="MaxThreads"/> threads per operation. Parallel
/// regions run on the engine's own pool (the caller plus <see cref="MaxThreads"/> - 1 long-lived workers that spin
/// briefly between regions); <c>SKALD_THREADPOOL=dotnet</c> runs them through <see cref="Parallel.For(int, int, Action{int})"/>
/// instead, and <c>SKALD_POOL_SPIN_US</c> sets how long an idle worker spins before it blocks (default 50).
/// </summary>
public static class Parallelism
{
    private static int maxThreads = Environment.ProcessorCount;

    /// <summary>The engine's pool (workers start on the first parallel region).</summary>
    internal static readonly IntraOpPool Pool = new(maxThreads - 1, SpinFromEnvironment());

    /// <summary>Whether parallel regions run on the engine's own pool (default) or through Parallel.For and the .NET
    /// thread pool (false; the default when the environment sets <c>SKALD_THREADPOOL=dotnet</c>). Results are the
    /// same bytes either way; only the scheduling differs.</summary>
    public static bool OwnPool { get; set; } =
        !string.Equals(Environment.GetEnvironmentVariable("SKALD_THREADPOOL"), "dotnet", StringComparison.OrdinalIgnoreCase);

    /// <summary>Upper bound on threads used by one operation (default <see cref="Environment.ProcessorCount"/>, minimum 1).
    /// Setting it resizes the engine's pool to the new value minus one workers.</summary>
    public static int MaxThreads
    {
        get => maxThreads;
        set
        {
            maxThreads = value < 1 ? 1 : value;
            Pool.TargetWorkers = maxThreads - 1;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> over contiguous sub-ranges [start, end) covering [0, <paramref name="count"/>),
    /// claimed dynamically by the threads (<see cref="Chunked"/>; no range shorter than <paramref name="minPerThread"/>
    /// unless the count is). Runs inline on the caller when one thread suffices. <paramref name="minPerThread"/> is the
    /// smallest range worth a thread of its own. Parallel work the body starts (a GEMM, another For) runs inline on the
    /// body's thread, on this pool or on .NET's (when another thread holds this one or <see cref="OwnPool"/> is off),
    /// so each range may run a single-threaded product of its own.
    /// </summary>
    public static void For(int count, int minPerThread, Action<int, int> body)
    {
        if (count <= 0) return;
        int threads = Threads(count, minPerThread);
        if (threads <= 1)
        {
            body(0, count);
            return;
        }
        Chunked(count, threads, Math.Max(threads, count / Math.Max(1, minPerThread)), body);
    }

    /// <summary>
    /// <see cref="For(int, int, Action{int, int})"/> with the body's arguments in <paramref name="state"/>: with a static
    /// lambda as <paramref name="body"/>, a call allocates nothing (the kernels of a decoding step or an encoder pass
    /// call this, so the loop allocates nothing per step). The same ranges and threads as the other overload.
    /// </summary>
    public static void For<TState>(int count, int minPerThread, in TState state, RangeBody<TState> body) where TState : struct
    {
        if (count <= 0) return;
        int threads = Threads(count, minPerThread);
        if (threads <= 1)
        {
            body(in state, 0, count);
            return;
        }
        Chunked(count, threads, Math.Max(threads, count / Math.Max(1, minPerThread)), in state, body);
    }

    /// <summary>
    /// Runs <paramref name="body"/>(i) for every i in [0, <paramref name="count"/>) on up to <see cref="MaxThreads"/>
    /// threads, each index a chunk of its own claimed from the shared counter in order (no guided cut): for units of
    /// work that differ in size and are each worth a thread, such as whole batches of a longest-first list
    /// (<see cref="InFlightBatches"/>). Parallel work a body starts runs inline on its thread. Inline on the caller when
    /// one thread suffices or when called from inside a region. Rethrows the first exception a body threw (the other
    /// threads then claim no further index).
    /// </summary>
    public static void ForEach(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        int threads = Math.Min(MaxThreads, count);
        if (threads <= 1 || IntraOpPool.InRegion)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Run(count, count, threads, (start, end) =>
        {
            for (int i = start; i < end; i++) body(i);
        }, 1, count, guided: false);
    }

    /// <summary>Chunks per thread that <see cref="Chunked"/> aims for: enough that a thread which loses its core for
    /// a while (another process, a page fault) leaves its unclaimed chunks to the others instead of making them wait.</summary>
    internal static int ChunksPerThread = 4; // settable for bench/kernel's forward A/B only

    /// <summary>
    /// Runs <paramref name="body"/> over contiguous chunks of [0, <paramref name="count"/>) (near-equal, or guided:
    /// shrinking toward the end, <see cref="IntraOpPool.Guided"/>) on at most
    /// <paramref name="threads"/> threads (the caller is one of them): min(count, <paramref name="maxChunks"/>,
    /// threads · <see cref="ChunksPerThread"/>) chunks, claimed one at a time from a shared counter, so the work
    /// follows whichever thread is running rather than a fixed half per thread. The chunk bounds depend only on the
    /// arguments, never on which thread runs a chunk. <paramref name="guided"/> false keeps uniform chunks where each
    /// chunk pays a setup of its own (a product packing its shared operand per chunk; see
    /// <see cref="IntraOpPool.Guided"/>).
    /// </summary>
    internal static void Chunked(int count, int threads, int maxChunks, Action<int, int> body, bool guided = true)
    {
        int chunks = ChunkCount(count, threads, maxChunks);
        if (threads <= 1 || chunks == 1)
        {
            body(0, count);
            return;
        }
        Run(count, chunks, threads, body, 1, count, guided);
    }

    /// <summary><see cref="Chunked(int, int, int, Action{int, int}, bool)"/> with the body's arguments in
    /// <paramref name="state"/> (see <see cref="For{TState}"/>).</summary>
    internal static void Chunked<TState>(int count, int threads, int maxChunks, in TState state, RangeBody<TState> body,
        bool guided = true) where TState : struct
    {
        int chunks = ChunkCount(count, threads, maxChunks);
        if (threads <= 1 || chunks == 1)
        {
            body(in state, 0, count);
            return;
        }
        Run(count, chunks, threads, in state, body, 1, count, guided);
    }

    /// <summary><see cref="Run(int, int, int, Action{int, int}, int, int, bool)"/> with the body's arguments in
    /// <paramref name="state"/>: the pool runs this thread's kept <see cref="StateRegion{TState}"/>.</summary>
    private static void Run<TState>(int units, int chunks, int threads, in TState state, RangeBody<TState> body, int unit,
        int elements, bool guided = true) where TState : struct
    {
        if (IntraOpPool.InRegion)
        {
            body(in state, 0, elements);
            return;
        }
        var region = StateRegion<TState>.Take(in state, body);
        try
        {
            if (OwnPool && Pool.TryRun(units, chunks, threads, region.Run, unit, elements, guided)) return;
            RunOnDotnetPool(units, chunks, threads, region.Run, unit, elements, guided);
        }
        finally
        {
            StateRegion<TState>.Return(region);
        }
    }

    /// <summary>
    /// Runs the <paramref name="chunks"/> chunks of [0, <paramref name="units"/>) on up to <paramref name="threads"/>
    /// threads, handing the body units scaled by <paramref name="unit"/> and capped at <paramref name="elements"/>. A
    /// nested call (from inside a region) runs inline; a call while another thread holds the pool goes to Parallel.For.
    /// </summary>
    private static void Run(int units, int chunks, int threads, Action<int, int> body, int unit, int elements,
        bool guided = true)
    {
        if (IntraOpPool.InRegion)
        {
            body(0, elements);
            return;
        }
        if (OwnPool && Pool.TryRun(units, chunks, threads, body, unit, elements, guided)) return;
        RunOnDotnetPool(units, chunks, threads, body, unit, elements, guided);
    }

    /// <summary><see cref="Run"/> through Parallel.For (a method of its own: its closure would otherwise be allocated
    /// on every call, pool path included).</summary>
    internal static void RunOnDotnetPool(int units, int chunks, int threads, Action<int, int> body, int unit, int elements,
        bool guided)
    {
        int[]? starts = null; // the pool's guided cut, so results and bounds never depend on which path ran
        if (IntraOpPool.UsesGuided(guided, chunks, threads))
        {
            starts = new int[IntraOpPool.MaxGuidedChunks + 1];
            chunks = IntraOpPool.PlanGuided(units, chunks, threads, starts);
        }
        var next = new int[1];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(threads, chunks) };
        try
        {
            Parallel.For(0, Math.Min(threads, chunks), options, _ =>
            {
                int c;
                while ((c = Interlocked.Increment(ref next[0]) - 1) < chunks)
                {
                    (int start, int end) = starts is null ? Split(units, chunks, c) : (starts[c], starts[c + 1]);
                    int s = (int)Math.Min(elements, (long)start * unit), e = (int)Math.Min(elements, (long)end * unit);
                    if (e > s) IntraOpPool.RunInRegion(body, s, e);
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The body's own exception, as the engine's pool throws it (its first failure), not Parallel.For's wrapper:
            // a caller sees the same exception whichever path ran (an OperationCanceledException stays one).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    /// <summary>A block of rows [start, end) adding its contribution into its own zeroed <paramref name="partial"/>.</summary>
    internal delegate void PartialBody(int start, int end, Span<float> partial);

    /// <summary>Most blocks <see cref="ForReduce"/> splits a range into (bounds its scratch at this many partials).</summary>
    internal const int MaxReduceBlocks = 64;

    /// <summary>
    /// A parallel sum with a fixed order: splits [0, <paramref name="count"/>) into blocks whose size depends only on
    /// <paramref name="count"/> and <paramref name="minPerBlock"/> (never on the thread count or on scheduling), runs
    /// <paramref name="body"/> once per block into the block's own zeroed partial of <paramref name="width"/> floats (blocks
    /// spread over threads as <see cref="For"/> does), then writes partial 0 + partial 1 + … in block order into
    /// <paramref name="sum"/>. So the bytes of the sum are the same at any thread count, run after run (a lock that adds
    /// each thread's partial as it finishes makes the sum's rounding depend on which thread ends first).
    /// </summary>
    internal static void ForReduce(int count, int minPerBlock, int width, Span<float> sum, PartialBody body) =>
        ForReduce(count, minPerBlock, width, sum, new ValueTuple<PartialBody>(body),
            static (in ValueTuple<PartialBody> b, int start, int end, Span<float> partial) => b.Item1(start, end, partial));

    /// <summary><see cref="PartialBody"/> with the body's arguments in <paramref name="state"/>.</summary>
    internal delegate void PartialBody<TState>(in TState state, int start, int end, Span<float> partial) where TState : struct;

    /// <summary>
    /// <see cref="ForReduce(int, int, int, Span{float}, PartialBody)"/> with the body's arguments in
    /// <paramref name="state"/>: with a static lambda as <paramref name="body"/>, a call allocates nothing of its own (the
    /// blocks run as a region with state; the partials are rented from the shared ArrayPool and cleared before use).
    /// The same blocks, partials and order of the sum.
    /// </summary>
    internal static void ForReduce<TState>(int count, int minPerBlock, int width, Span<float> sum, in TState state,
        PartialBody<TState> body) where TState : struct
    {
        if (sum.Length < width) throw new ArgumentException("sum needs width elements.", nameof(sum));
        sum[..width].Clear();
        if (count <= 0 || width == 0) return;
        int size = Math.Max(Math.Max(1, minPerBlock), (int)(((long)count + MaxReduceBlocks - 1) / MaxReduceBlocks));
        int blocks = (int)(((long)count + size - 1) / size);
        float[] partials = System.Buffers.ArrayPool<float>.Shared.Rent(blocks * width);
        try
        {
            For(blocks, 1, (State: state, Body: body, Partials: partials, Width: width, Size: size, Count: count),
                static (in (TState State, PartialBody<TState> Body, float[] Partials, int Width, int Size, int Count) r, int b0, int b1) =>
                {
                    for (int b = b0; b < b1; b++)
                    {
                        var partial = r.Partials.AsSpan(b * r.Width, r.Width);
                        partial.Clear();
                        r.Body(in r.State, b * r.Size, (int)Math.Min(r.Count, (long)(b + 1) * r.Size), partial);
                    }
                });
            for (int b = 0; b < blocks; b++)
                System.Numerics.Tensors.TensorPrimitives.Add(sum[..width], partials.AsSpan(b * width, width), sum[..width]);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>
    /// <see cref="For"/> with every range but the last starting and ending on a multiple of <paramref name="align"/>
    /// elements, so a SIMD kernel meets its scalar tail at the same elements whatever the thread count (an element-wise
    /// kernel whose vector and scalar paths round differently still gives the same bytes at any thread count).
    /// </summary>
    internal static void ForAligned(int count, int minPerThread, int align, Action<int, int> body)
    {
        if (count <= 0) return;
        var (units, threads, chunks) = AlignedPlan(count, minPerThread, align);
        if (threads <= 1 || chunks == 1)
        {
            body(0, count);
            return;
        }
        Run(units, chunks, threads, body, align, count);
    }

    /// <summary><see cref="ForAligned(int, int, int, Action{int, int})"/> with the body's arguments in
    /// <paramref name="state"/> (see <see cref="For{TState}"/>).</summary>
    internal static void ForAligned<TState>(int count, int minPerThread, int align, in TState state, RangeBody<TState> body)
        where TState : struct
    {
        if (count <= 0) return;
        var (units, threads, chunks) = AlignedPlan(count, minPerThread, align);
        if (threads <= 1 || chunks == 1)
        {
            body(in state, 0, count);
            return;
        }
        Run(units, chunks, threads, in state, body, align, count);
    }

    // Chunked's chunk count: min(count, maxChunks, threads · ChunksPerThread), at least 1.
    private static int ChunkCount(int count, int threads, int maxChunks) =>
        Math.Max(1, Math.Min(count, Math.Min(maxChunks, threads * ChunksPerThread)));

    // ForAligned's region: units of `align` elements, the threads they are worth, and the chunks they are cut into.
    private static (int Units, int Threads, int Chunks) AlignedPlan(int count, int minPerThread, int align)
    {
        int units = (int)(((long)count + align - 1) / align);
        int minUnits = Math.Max(1, minPerThread / align);
        int threads = Threads(units, minUnits);
        return (units, threads, ChunkCount(units, threads, Math.Max(threads, units / minUnits)));
    }

    private static double SpinFromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable("SKALD_POOL_SPIN_US");
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture,
            out double us) && us >= 0 ? us : 50;
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
