using Skald.Distributed;

namespace Skald.Training.Tests.TestSupport;

/// <summary>
/// A data-parallel group of <c>size</c> ranks inside one process, one thread per rank (<see cref="Run{T}"/>): each
/// collective posts the rank's buffer, waits for every rank, reads the others', and waits again, so a test can check a
/// loss's cross-rank arithmetic in process, without mpirun. A rank that throws breaks the barrier for the others.
/// </summary>
internal sealed class ThreadRanks
{
    private readonly Barrier barrier;
    private readonly object?[] posted;

    private ThreadRanks(int size)
    {
        barrier = new Barrier(size);
        posted = new object?[size];
    }

    /// <summary>Runs <paramref name="body"/> once per rank on its own thread, with that rank's communicator; the results in rank order.</summary>
    public static T[] Run<T>(int size, Func<ICommunicator, T> body)
    {
        var group = new ThreadRanks(size);
        var results = new T[size];
        var errors = new Exception?[size];
        var threads = Enumerable.Range(0, size).Select(r => new Thread(() =>
        {
            try
            {
                results[r] = body(new Member(group, r));
            }
            catch (Exception e)
            {
                errors[r] = e;
                group.barrier.RemoveParticipant(); // the others' next wait ends instead of hanging
            }
        }, 16 << 20)).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromMinutes(2)), "a rank did not finish");
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw new AggregateException(error);
        return results;
    }

    private T[] Exchange<T>(int rank, T value)
    {
        posted[rank] = value;
        barrier.SignalAndWait();
        var all = posted.Select(p => (T)p!).ToArray();
        barrier.SignalAndWait();
        return all;
    }

    private sealed class Member(ThreadRanks group, int rank) : ICommunicator
    {
        public int Rank => rank;

        public int Size => group.posted.Length;

        public void AllReduceSum(Span<float> data)
        {
            var all = group.Exchange(rank, data.ToArray());
            for (int i = 0; i < data.Length; i++) data[i] = all.Sum(a => a[i]);
        }

        public void AllReduceSum(Span<double> data)
        {
            var all = group.Exchange(rank, data.ToArray());
            for (int i = 0; i < data.Length; i++) data[i] = all.Sum(a => a[i]);
        }

        public void Broadcast(Span<float> data, int root = 0) => group.Exchange(rank, data.ToArray())[root].CopyTo(data);

        public void Broadcast(Span<byte> data, int root = 0) => group.Exchange(rank, data.ToArray())[root].CopyTo(data);

        public void AllGather(ReadOnlySpan<float> local, Span<float> all, ReadOnlySpan<int> counts)
        {
            var parts = group.Exchange(rank, local.ToArray());
            int at = 0;
            for (int r = 0; r < parts.Length; r++)
            {
                Assert.Equal(counts[r], parts[r].Length);
                parts[r].CopyTo(all[at..]);
                at += parts[r].Length;
            }
        }

        public void AllGather(int local, Span<int> all) => group.Exchange(rank, local).CopyTo(all);

        public void Barrier() => group.Exchange(rank, 0);

        public void Dispose()
        {
        }
    }
}
