using System.Runtime.CompilerServices;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="Parallelism.For{TState}"/>'s per-thread <see cref="StateRegion{TState}"/> under the uses a server and a
/// training run make of it: regions started from two threads at once (one holds the pool, the other runs on .NET's),
/// a region started from inside another's body, a body that throws on a worker, and a finished region's state.
/// </summary>
public sealed class StateRegionTests
{
    private const int Count = 2048;

    [Fact]
    public void AFinishedRegionKeepsNothingOfItsStateAlive()
    {
        // The thread keeps its region for the next call: it must not keep the last call's arrays with it (an encoder's
        // batch buffers would stay alive until the thread ran another region of that state type).
        var weak = RunOverAFreshArray();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.TryGetTarget(out _), "the array a finished region was handed is still reachable");
    }

    [Fact]
    public void TwoThreadsRunningRegionsAtOnceEachSeeTheirOwnState()
    {
        // Two callers at once (two encoders, or a server encoding while a generator decodes): one holds the pool, the
        // other's regions go to Parallel.For. Every chunk must read its own caller's state: each index of each caller's
        // array is counted once per round, and no other caller's array is touched.
        const int Rounds = 200;
        var start = new Barrier(2);
        var errors = new string?[2];
        var threads = new Thread[2];
        for (int t = 0; t < 2; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    var hits = new int[Count];
                    start.SignalAndWait();
                    for (int round = 0; round < Rounds && errors[id] is null; round++)
                    {
                        Array.Clear(hits);
                        Parallelism.For(Count, 16, new Counted(hits, id + 1), static (in Counted c, int s, int e) =>
                        {
                            for (int i = s; i < e; i++) Interlocked.Add(ref c.Hits[i], c.Step);
                        });
                        int wrong = Array.FindIndex(hits, h => h != id + 1);
                        if (wrong >= 0) errors[id] = $"caller {id}, round {round}: index {wrong} counted {hits[wrong]}, not {id + 1}";
                    }
                }
                catch (Exception ex)
                {
                    errors[id] = ex.ToString();
                }
            }) { IsBackground = true };
            threads[t].Start();
        }
        foreach (var thread in threads) Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "a caller did not finish");
        Assert.Null(errors[0]);
        Assert.Null(errors[1]);
    }

    [Fact]
    public void ARegionStartedInsideAnotherOfTheSameStateTypeLeavesTheOuterStateIntact()
    {
        // A body that starts a region of the same state type (a kernel calling a GEMM that calls a kernel): the inner
        // region runs inline with its own state, and the outer body then still reads its own.
        var outer = new int[256];
        var inner = new int[64];
        Parallelism.For(outer.Length, 1, new Counted(outer, 1, inner), static (in Counted c, int s, int e) =>
        {
            for (int i = s; i < e; i++)
            {
                Parallelism.For(c.Inner!.Length, 1, new Counted(c.Inner, 2), static (in Counted n, int s2, int e2) =>
                {
                    for (int j = s2; j < e2; j++) Interlocked.Add(ref n.Hits[j], n.Step);
                });
                Interlocked.Add(ref c.Hits[i], c.Step);
            }
        });
        Assert.All(outer, h => Assert.Equal(1, h));
        Assert.All(inner, h => Assert.Equal(2 * outer.Length, h));
    }

    [Fact]
    public void AWorkerThatThrowsLeavesTheRegionWholeForTheNextCall()
    {
        // Every chunk but the caller's first throws, so workers throw while the caller still runs: the caller gets one
        // of the exceptions only once every thread has left the region, and the next region (same state type, same
        // thread) counts each index once with its own state.
        for (int round = 0; round < 50; round++)
        {
            var hits = new int[Count];
            var ex = Assert.ThrowsAny<Exception>(() => Parallelism.For(Count, 16, new Counted(hits, 1), static (in Counted c, int s, int e) =>
            {
                if (s != 0) throw new InvalidOperationException("chunk failed");
                for (int i = s; i < e; i++) Interlocked.Add(ref c.Hits[i], c.Step);
            }));
            Assert.Contains("chunk failed", ex.ToString());
            var next = new int[Count];
            Parallelism.For(Count, 16, new Counted(next, 3), static (in Counted c, int s, int e) =>
            {
                for (int i = s; i < e; i++) Interlocked.Add(ref c.Hits[i], c.Step);
            });
            Assert.All(next, h => Assert.Equal(3, h));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<int[]> RunOverAFreshArray()
    {
        var data = new int[Count];
        Parallelism.For(Count, 16, new Counted(data, 1), static (in Counted c, int s, int e) =>
        {
            for (int i = s; i < e; i++) c.Hits[i] += c.Step;
        });
        Assert.All(data, h => Assert.Equal(1, h));
        return new WeakReference<int[]>(data);
    }

    // A region's state: the array its chunks count into, the step each adds, and (nested regions) the inner array.
    private readonly record struct Counted(int[] Hits, int Step, int[]? Inner = null);
}
