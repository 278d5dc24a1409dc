using Skald.Tensors.Gemm;

namespace Skald.Tensors.Tests;

[Collection(ProcessSettingsCollection.Name)]
public sealed class ParallelismTests
{
    [Fact]
    public void ForCoversTheRangeExactlyOnce()
    {
        foreach (int count in new[] { 1, 2, 3, 17, 1000 })
        {
            var hits = new int[count];
            Parallelism.For(count, 1, (s, e) =>
            {
                for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]);
            });
            Assert.All(hits, h => Assert.Equal(1, h));
        }
        Parallelism.For(0, 1, (_, _) => Assert.Fail("no work expected"));
    }

    // ForEach (the batch loop's region: InFlightBatches): every index once, on one thread or two, each index its own
    // chunk, bodies inside a two-thread region marked as in a region (so their own parallel calls run inline), and a
    // body's exception rethrown as itself.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ForEachRunsEveryIndexOnceAndItsBodiesNestInline(int threads)
    {
        int saved = Parallelism.MaxThreads;
        Parallelism.MaxThreads = threads;
        try
        {
            foreach (int count in new[] { 1, 2, 3, 17 })
            {
                var hits = new int[count];
                int nestedOutside = 0;
                Parallelism.ForEach(count, i =>
                {
                    Interlocked.Increment(ref hits[i]);
                    if (threads > 1 && count > 1 && !IntraOpPool.InRegion) Interlocked.Increment(ref nestedOutside);
                });
                Assert.All(hits, h => Assert.Equal(1, h));
                Assert.Equal(0, nestedOutside);
            }
            Parallelism.ForEach(0, _ => Assert.Fail("no work expected"));
            var ex = Assert.Throws<InvalidOperationException>(() => Parallelism.ForEach(5, i =>
            {
                if (i == 3) throw new InvalidOperationException("index 3");
            }));
            Assert.Equal("index 3", ex.Message);
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    [Fact]
    public void ChunkedHandsAStalledThreadsWorkToTheOthers()
    {
        // The chunk holding index 0 stalls until every other index is done: with one fixed half per thread (the old
        // split) indices 1..3 would sit behind the stall on the same thread and the wait would time out.
        const int count = 8;
        var done = new int[count];
        int others = 0;
        using var allOthers = new ManualResetEventSlim(false);
        bool stalledUntilOthersFinished = false;
        Parallelism.Chunked(count, threads: 2, maxChunks: count, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                if (i == 0)
                {
                    stalledUntilOthersFinished = allOthers.Wait(TimeSpan.FromSeconds(30));
                }
                else if (Interlocked.Increment(ref others) == count - 1)
                {
                    allOthers.Set();
                }
                Interlocked.Increment(ref done[i]);
            }
        });
        Assert.True(stalledUntilOthersFinished);
        Assert.All(done, d => Assert.Equal(1, d));
    }

    [Fact]
    public void ChunkedBoundsDependOnlyOnTheArguments()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<(int, int)>();
        Parallelism.Chunked(1000, threads: 2, maxChunks: 1000, (s, e) => seen.Add((s, e)));
        var expected = ChunkModel.Bounds(1000, 2 * Parallelism.ChunksPerThread, 2); // 8 chunks on 2 threads: guided
        Assert.Equal(expected.OrderBy(r => r.Start), seen.OrderBy(r => r.Item1).Select(r => (Start: r.Item1, End: r.Item2)));
        var uniform = new System.Collections.Concurrent.ConcurrentBag<(int, int)>(); // an unpacked product's choice
        Parallelism.Chunked(1000, threads: 2, maxChunks: 1000, (s, e) => uniform.Add((s, e)), guided: false);
        var split = Enumerable.Range(0, 2 * Parallelism.ChunksPerThread)
            .Select(c => Parallelism.Split(1000, 2 * Parallelism.ChunksPerThread, c));
        Assert.Equal(split, uniform.OrderBy(r => r.Item1).Select(r => (Start: r.Item1, End: r.Item2)));
        int calls = 0;
        Parallelism.Chunked(5, threads: 2, maxChunks: 1, (s, e) => { calls++; Assert.Equal((0, 5), (s, e)); });
        Assert.Equal(1, calls);
    }

    [Fact]
    public void MaxThreadsIsAtLeastOneAndThreadsFollowsIt()
    {
        int saved = Parallelism.MaxThreads;
        try
        {
            Assert.Equal(Environment.ProcessorCount, saved);
            Parallelism.MaxThreads = 0;
            Assert.Equal(1, Parallelism.MaxThreads);
            Assert.Equal(0, Parallelism.Pool.TargetWorkers); // the pool keeps MaxThreads - 1 workers
            Assert.Equal(1, Parallelism.Threads(1000, 1));
            Parallelism.MaxThreads = 4;
            Assert.Equal(3, Parallelism.Pool.TargetWorkers);
            Assert.Equal(4, Parallelism.Threads(1000, 1));
            Assert.Equal(2, Parallelism.Threads(1000, 500));
            Assert.Equal(1, Parallelism.Threads(10, 500));
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
        Assert.Equal(saved - 1, Parallelism.Pool.TargetWorkers);
    }

    [Fact]
    public void ForAlignedCoversTheRangeOnAlignedBounds()
    {
        foreach (int count in new[] { 1, 63, 64, 65, 1000, 100_001 })
        {
            var hits = new int[count];
            var ranges = new System.Collections.Concurrent.ConcurrentBag<(int Start, int End)>();
            Parallelism.ForAligned(count, 256, 64, (s, e) =>
            {
                ranges.Add((s, e));
                for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]);
            });
            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.All(ranges, r => Assert.Equal(0, r.Start % 64));
            Assert.All(ranges.Where(r => r.End != count), r => Assert.Equal(0, r.End % 64));
        }
    }

    [Fact]
    public void ManagedGemmGivesTheSameResultForAnyThreadCount()
    {
        var rng = new Random(9);
        const int m = 190, n = 150, k = 70;
        var a = TestUtil.RandomArray(rng, m * k);
        var b = TestUtil.RandomArray(rng, n * k);
        float[] c1 = new float[m * n], c4 = new float[m * n];
        new ManagedGemm { MaxThreads = 1 }.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c1, n);
        new ManagedGemm { MaxThreads = 4 }.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c4, n);
        Assert.Equal(c1, c4); // each C element is produced by one thread in the same order: bit-identical
    }

    [Fact]
    public void TheParallelForFallbackCutsARegionAsThePoolDoes()
    {
        // A region that finds the pool busy (a second caller) runs through Parallel.For: the same guided or uniform
        // chunks, so its bounds, like its results, do not depend on which path ran.
        foreach (bool guided in new[] { true, false })
        {
            var seen = new System.Collections.Concurrent.ConcurrentBag<(int, int)>();
            Parallelism.RunOnDotnetPool(86, 8, 2, (s, e) => seen.Add((s, e)), 1, 86, guided);
            var expected = guided ? ChunkModel.Bounds(86, 8, 2) : ChunkModel.Bounds(86, 8, 8); // 8 threads: uniform
            Assert.Equal(expected, seen.OrderBy(r => r.Item1).Select(r => (Start: r.Item1, End: r.Item2)));
        }
    }

    [Fact]
    public void TheParallelForFallbackThrowsTheBodysOwnExceptionAsThePoolDoes()
    {
        // The engine's pool rethrows a body's exception itself; the fallback must not wrap it in Parallel.For's
        // AggregateException, or a caller's catch (a cancelled pass, a damaged file) would depend on which path ran.
        var ex = Assert.Throws<InvalidOperationException>(() => Parallelism.RunOnDotnetPool(86, 8, 2, (s, e) =>
        {
            if (s == 0) throw new InvalidOperationException("the first chunk");
        }, 1, 86, guided: true));
        Assert.Equal("the first chunk", ex.Message);
    }
}
