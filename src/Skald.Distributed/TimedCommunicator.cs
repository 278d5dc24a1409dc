using System.Diagnostics;

namespace Skald.Distributed;

/// <summary>
/// An <see cref="ICommunicator"/> that adds the wall time of every collective to <see cref="Elapsed"/> (time in MPI
/// includes waiting for the slowest rank) and counts the payload bytes, for the trainer's communication share.
/// </summary>
public sealed class TimedCommunicator(ICommunicator inner) : ICommunicator
{
    private long ticks;

    /// <summary>Time spent inside collectives so far.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(0, ticks);

    /// <summary>Bytes this rank handed to all-reduces so far.</summary>
    public long ReducedBytes { get; private set; }

    /// <summary>Bytes this rank received from all-gathers so far.</summary>
    public long GatheredBytes { get; private set; }

    /// <inheritdoc />
    public int Rank => inner.Rank;

    /// <inheritdoc />
    public int Size => inner.Size;

    /// <inheritdoc />
    public void AllReduceSum(Span<float> data)
    {
        long t = Stopwatch.GetTimestamp();
        inner.AllReduceSum(data);
        ticks += Stopwatch.GetTimestamp() - t;
        ReducedBytes += data.Length * 4L;
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> data)
    {
        long t = Stopwatch.GetTimestamp();
        inner.AllReduceSum(data);
        ticks += Stopwatch.GetTimestamp() - t;
        ReducedBytes += data.Length * 8L;
    }

    /// <inheritdoc />
    public void Broadcast(Span<float> data, int root = 0)
    {
        long t = Stopwatch.GetTimestamp();
        inner.Broadcast(data, root);
        ticks += Stopwatch.GetTimestamp() - t;
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root = 0)
    {
        long t = Stopwatch.GetTimestamp();
        inner.Broadcast(data, root);
        ticks += Stopwatch.GetTimestamp() - t;
    }

    /// <inheritdoc />
    public void AllGather(ReadOnlySpan<float> local, Span<float> all, ReadOnlySpan<int> counts)
    {
        long t = Stopwatch.GetTimestamp();
        inner.AllGather(local, all, counts);
        ticks += Stopwatch.GetTimestamp() - t;
        GatheredBytes += all.Length * 4L;
    }

    /// <inheritdoc />
    public void AllGather(int local, Span<int> all)
    {
        long t = Stopwatch.GetTimestamp();
        inner.AllGather(local, all);
        ticks += Stopwatch.GetTimestamp() - t;
    }

    /// <inheritdoc />
    public void Barrier()
    {
        long t = Stopwatch.GetTimestamp();
        inner.Barrier();
        ticks += Stopwatch.GetTimestamp() - t;
    }

    /// <summary>Does not dispose the inner communicator (its owner does).</summary>
    public void Dispose()
    {
    }
}
