using System.Collections.Concurrent;

namespace Skald.Tensors.Tests;

[Collection(ProcessSettingsCollection.Name)] // ParallelismForOnThePoolAllocatesNothing needs the shared pool free of other tests
public sealed class IntraOpPoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(1, 50.0)]
    [InlineData(3, 0.0)]
    [InlineData(3, 1000.0)]
    [InlineData(7, 20.0)]
    public void EveryIndexIsCoveredOnceByTheChunksOfTheArguments(int workers, double spin)
    {
        using var pool = new IntraOpPool(workers, spin);
        foreach (int count in new[] { 1, 2, 3, 17, 1000, 100_003 })
        {
            foreach (int chunks in new[] { 1, 2, 5, 32 })
            {
                if (chunks > count) continue;
                foreach (int threads in new[] { 2, 4, 16 })
                {
                    var hits = new int[count];
                    var ranges = new ConcurrentBag<(int, int)>();
                    Assert.True(pool.TryRun(count, chunks, threads, (s, e) =>
                    {
                        ranges.Add((s, e));
                        for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]);
                    }, 1, count));
                    Assert.All(hits, h => Assert.Equal(1, h));
                    var expected = ChunkModel.Bounds(count, chunks, threads); // guided from 2 chunks per thread
                    Assert.Equal(expected.OrderBy(r => r.Start), ranges.OrderBy(r => r.Item1).Select(r => (Start: r.Item1, End: r.Item2)));
                }
            }
        }
    }

    [Fact]
    public void ARegionAllocatesNothingOnTheCaller()
    {
        using var pool = new IntraOpPool(2, 50);
        var sums = new long[1];
        Action<int, int> body = (s, e) => Interlocked.Add(ref sums[0], e - s);
        for (int r = 0; r < 100; r++) pool.TryRun(1000, 12, 3, body, 1, 1000); // workers started, code jitted
        // The thread's allocation counter is known to drift now and then when other threads' collections run in
        // between (dotnet/runtime#74388), so five windows of 1,000 regions each: a per-region allocation fails all five.
        var allocated = new List<long>();
        for (int window = 0; window < 5 && (allocated.Count == 0 || allocated[^1] != 0); window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int r = 0; r < 1000; r++) Assert.True(pool.TryRun(1000, 12, 3, body, 1, 1000));
            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(allocated[^1] == 0, $"bytes allocated per window of 1,000 regions: {string.Join(", ", allocated)}");
        Assert.Equal((100L + 1000 * allocated.Count) * 1000, sums[0]);
    }

    [Fact]
    public void ParallelismForOnThePoolAllocatesNothing()
    {
        // Per call, since a call made while another test holds the shared pool takes Parallel.For (which allocates): on a
        // loaded machine other tests may hold it for a while, so calls go on (up to 20 s) until one finds it free.
        var sums = new long[1];
        Action<int, int> body = (s, e) => Interlocked.Add(ref sums[0], e - s);
        int clean = 0, calls = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (calls < 300 || (clean == 0 && clock.Elapsed.TotalSeconds < 20))
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Parallelism.For(4096, 64, body);
            Parallelism.ForAligned(4096, 256, 64, body);
            if (GC.GetAllocatedBytesForCurrentThread() == before) clean++;
            calls++;
        }
        Assert.Equal(calls * 2L * 4096, sums[0]);
        Assert.True(clean > 0, $"every one of {calls} calls allocated");
    }

    [Fact]
    public void ParallelismForWithStateCoversTheRangeOnceAndAllocatesNothing()
    {
        // The state overloads: the ranges of the Action ones, each index once, and (a static lambda, the thread's kept
        // region) no bytes per call once the thread has run one region of the state's type.
        var hits = new int[4096];
        var sums = new long[1];
        int clean = 0, calls = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (calls < 300 || (clean == 0 && clock.Elapsed.TotalSeconds < 20))
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Parallelism.For(4096, 64, (hits, sums), static (in (int[] Hits, long[] Sums) a, int s, int e) =>
            {
                for (int i = s; i < e; i++) Interlocked.Increment(ref a.Hits[i]);
                Interlocked.Add(ref a.Sums[0], e - s);
            });
            Parallelism.ForAligned(4096, 256, 64, (Sums: sums, Unit: 1), static (in (long[] Sums, int Unit) a, int s, int e) =>
                Interlocked.Add(ref a.Sums[0], (e - s) * a.Unit));
            if (GC.GetAllocatedBytesForCurrentThread() == before) clean++;
            calls++;
        }
        Assert.All(hits, h => Assert.Equal(calls, h));
        Assert.Equal(calls * 2L * 4096, sums[0]);
        Assert.True(clean > 0, $"every one of {calls} calls allocated");
    }

    [Fact]
    public void AStateRegionsExceptionReachesTheCallerAndTheNextRegionGetsItsOwnState()
    {
        // A body that throws: the caller sees its exception, and the thread's kept region is handed back, so the next
        // region (same state type) runs with its own state, not the failed one's.
        var ex = Assert.Throws<InvalidOperationException>(() => Parallelism.For(4096, 16, 7, static (in int a, int s, int e) =>
        {
            if (s <= 100 && 100 < e) throw new InvalidOperationException($"state {a}");
        }));
        Assert.Equal("state 7", ex.Message);
        var seen = new int[1];
        Parallelism.For(4096, 16, (Seen: seen, Value: 9), static (in (int[] Seen, int Value) a, int s, int e) =>
        {
            if (s == 0) a.Seen[0] = a.Value;
        });
        Assert.Equal(9, seen[0]);
    }

    [Fact]
    public void APoolWithoutWorkersDeclinesAndRunsNothing()
    {
        using var pool = new IntraOpPool(0, 10);
        Assert.False(pool.TryRun(10, 5, 2, (_, _) => Assert.Fail("ran"), 1, 10));
    }

    [Fact]
    public void UnitsAreScaledAndCappedAtTheElementCount()
    {
        using var pool = new IntraOpPool(2, 10);
        const int elements = 1000, align = 64, units = (elements + align - 1) / align; // 16 units, the last one short
        var hits = new int[elements];
        var ranges = new ConcurrentBag<(int Start, int End)>();
        Assert.True(pool.TryRun(units, 5, 3, (s, e) =>
        {
            ranges.Add((s, e));
            for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]);
        }, align, elements));
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.All(ranges.Where(r => r.End != elements), r => Assert.Equal(0, r.End % align));
        Assert.All(ranges, r => Assert.Equal(0, r.Start % align));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(5.0)]
    [InlineData(200.0)]
    public void ManyRegionsBackToBackEachRunEveryChunk(double spin)
    {
        // Short regions with idle gaps of varying length: workers join while spinning, after blocking, or not at all.
        using var pool = new IntraOpPool(3, spin);
        var sums = new long[1];
        for (int r = 0; r < 3000; r++)
        {
            int count = 1 + r % 97;
            sums[0] = 0;
            Assert.True(pool.TryRun(count, Math.Min(count, 8), 4, (s, e) =>
            {
                long local = 0;
                for (int i = s; i < e; i++) local += i + 1;
                Interlocked.Add(ref sums[0], local);
            }, 1, count));
            Assert.Equal((long)count * (count + 1) / 2, sums[0]);
            if (r % 500 == 0) Thread.Sleep(2);
        }
    }

    [Fact]
    public async Task NestedCallsRunInlineWithoutDeadlock()
    {
        const int outer = 64, inner = 300;
        var hits = new int[outer * inner];
        var nestedInRegion = new int[1];
        var task = Task.Run(() => Parallelism.Chunked(outer, 4, outer, (o0, o1) =>
        {
            for (int o = o0; o < o1; o++)
            {
                int row = o;
                Parallelism.For(inner, 1, (s, e) =>
                {
                    if (IntraOpPool.InRegion) Interlocked.Increment(ref nestedInRegion[0]);
                    for (int i = s; i < e; i++) Interlocked.Increment(ref hits[row * inner + i]);
                });
            }
        }));
        await task.WaitAsync(Patience); // a deadlock times out
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void NestedCallsOnAPoolThreadRunInline()
    {
        using var pool = new IntraOpPool(2, 10);
        var inline = new int[1];
        Assert.True(pool.TryRun(6, 6, 3, (s, e) =>
        {
            Assert.True(IntraOpPool.InRegion);
            var calls = new int[1];
            Parallelism.Chunked(100, 4, 100, (a, b) =>
            {
                calls[0]++;
                Assert.Equal((0, 100), (a, b));
            });
            if (calls[0] == 1) Interlocked.Increment(ref inline[0]);
        }, 1, 6));
        Assert.Equal(6, inline[0]);
        Assert.False(IntraOpPool.InRegion);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(-1)]
    public void AnExceptionInABodyReachesTheCallerAndThePoolKeepsWorking(int failing)
    {
        using var pool = new IntraOpPool(2, 20);
        for (int round = 0; round < 20; round++)
        {
            var error = Assert.Throws<InvalidOperationException>(() => pool.TryRun(8, 8, 3, (s, e) =>
            {
                if (failing < 0 || s == failing) throw new InvalidOperationException($"chunk {s}");
            }, 1, 8));
            if (failing >= 0) Assert.Equal($"chunk {failing}", error.Message);
            var hits = new int[50];
            Assert.True(pool.TryRun(50, 10, 3, (s, e) =>
            {
                for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]);
            }, 1, 50));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public async Task ASecondCallerIsTurnedAwayWhileARegionRuns()
    {
        using var pool = new IntraOpPool(1, 10);
        using var inside = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        var first = Task.Run(() => pool.TryRun(1, 1, 2, (_, _) =>
        {
            inside.Set();
            release.Wait(Patience);
        }, 1, 1));
        Assert.True(inside.Wait(Patience));
        bool ran = true;
        await Task.Run(() => ran = pool.TryRun(4, 4, 2, (_, _) => { }, 1, 4)).WaitAsync(Patience);
        Assert.False(ran);
        release.Set();
        Assert.True(await first.WaitAsync(Patience));
    }

    [Fact]
    public async Task ConcurrentCallersThroughParallelismAllFinishTheirWork()
    {
        const int callers = 4, regions = 300, count = 513;
        var totals = new long[callers];
        var tasks = Enumerable.Range(0, callers).Select(t => Task.Run(() =>
        {
            for (int r = 0; r < regions; r++)
            {
                var hits = new int[count];
                Parallelism.For(count, 16, (s, e) =>
                {
                    for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]);
                });
                totals[t] += hits.Count(h => h == 1);
            }
        })).ToArray();
        await Task.WhenAll(tasks).WaitAsync(Patience);
        Assert.All(totals, total => Assert.Equal((long)regions * count, total));
    }

    [Fact]
    public void ChangingTheWorkerCountStartsAndStopsWorkers()
    {
        using var pool = new IntraOpPool(3, 10);
        Assert.Equal(0, pool.Workers); // started on first use
        foreach (int target in new[] { 3, 1, 5, 2 })
        {
            pool.TargetWorkers = target;
            var threadIds = new ConcurrentDictionary<int, byte>();
            var hits = new int[4000];
            Assert.True(pool.TryRun(4000, 64, 8, (s, e) =>
            {
                threadIds[Environment.CurrentManagedThreadId] = 0;
                for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]);
                Thread.SpinWait(2000); // long enough that a spinning worker usually gets a chunk
            }, 1, 4000));
            Assert.Equal(target, pool.Workers);
            Assert.True(threadIds.Count <= target + 1, $"{threadIds.Count} threads ran a region of {target} workers");
            Assert.All(hits, h => Assert.Equal(1, h));
        }
        pool.TargetWorkers = 0; // idle: stops at once
        Assert.Equal(0, pool.Workers);
        Assert.False(pool.TryRun(10, 5, 2, (_, _) => { }, 1, 10));
    }

    [Fact]
    public void ARegionUsesNoMoreThreadsThanItAsksFor()
    {
        using var pool = new IntraOpPool(6, 1000);
        for (int round = 0; round < 50; round++)
        {
            int inside = 0, most = 0;
            Assert.True(pool.TryRun(64, 64, 3, (_, _) =>
            {
                int now = Interlocked.Increment(ref inside);
                int seen;
                while (now > (seen = Volatile.Read(ref most)) && Interlocked.CompareExchange(ref most, now, seen) != seen) { }
                Thread.SpinWait(500);
                Interlocked.Decrement(ref inside);
            }, 1, 64));
            Assert.True(most <= 3, $"{most} threads inside a 3-thread region");
        }
    }

    [Fact]
    public void AThreadSpinsAsLongAsItsLastRegionTookUpToTwoMilliseconds()
    {
        long ms = System.Diagnostics.Stopwatch.Frequency / 1000, spin = ms / 20; // the default 50 µs
        Assert.Equal(1000 + spin, IntraOpPool.SpinDeadline(1000, spin, ms / 100));     // a short region: the spin time
        Assert.Equal(1000 + ms, IntraOpPool.SpinDeadline(1000, spin, ms));             // a 1 ms share: 1 ms
        Assert.Equal(1000 + 2 * ms, IntraOpPool.SpinDeadline(1000, spin, 50 * ms));    // a 50 ms share: capped at 2 ms
        Assert.Equal(1000 + 3 * ms, IntraOpPool.SpinDeadline(1000, 3 * ms, 50 * ms));  // SKALD_POOL_SPIN_US above the cap
    }

    [Fact]
    public void GuidedChunksShrinkTowardTheEndAndNeverExceedTheUniformSize()
    {
        using var pool = new IntraOpPool(1, 0);
        var ranges = new ConcurrentBag<(int Start, int End)>();
        Assert.True(pool.TryRun(86, 8, 2, (s, e) => ranges.Add((s, e)), 1, 86)); // a 1,024-row product: 86 row tiles
        var sizes = ranges.OrderBy(r => r.Start).Select(r => r.End - r.Start).ToArray();
        Assert.Equal(86, sizes.Sum());
        Assert.All(sizes, size => Assert.InRange(size, 1, 11));  // never above ⌈86 / 8⌉
        Assert.True(sizes[^1] <= 2, string.Join(",", sizes));   // the last chunk: the floor, 86 / 32
        Assert.True(sizes.Length > 8, string.Join(",", sizes));
    }
}
