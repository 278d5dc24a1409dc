namespace Skald.Distributed;

/// <summary>The group of one process: rank 0 of 1; sums and broadcasts leave data as it is, gathers copy.</summary>
public sealed class SingleProcess : ICommunicator
{
    /// <summary>The one instance.</summary>
    public static SingleProcess Instance { get; } = new();

    private SingleProcess()
    {
    }

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public void AllReduceSum(Span<float> data)
    {
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> data)
    {
    }

    /// <inheritdoc />
    public void Broadcast(Span<float> data, int root = 0) => CheckRoot(root);

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root = 0) => CheckRoot(root);

    /// <inheritdoc />
    public void AllGather(ReadOnlySpan<float> local, Span<float> all, ReadOnlySpan<int> counts)
    {
        if (counts.Length != 1 || counts[0] != local.Length || all.Length != local.Length)
            throw new ArgumentException("one rank: counts must be [local.Length] and all as long as local");
        local.CopyTo(all);
    }

    /// <inheritdoc />
    public void AllGather(int local, Span<int> all)
    {
        if (all.Length != 1) throw new ArgumentException("one rank: all must have one entry", nameof(all));
        all[0] = local;
    }

    /// <inheritdoc />
    public void Barrier()
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private static void CheckRoot(int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), "one rank: the root is 0");
    }
}
