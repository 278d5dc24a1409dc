namespace Skald.Distributed;

/// <summary>
/// The processes of one data-parallel job (MPI's <c>MPI_COMM_WORLD</c>) and the collectives training and encoding
/// use. Every rank must make the same calls in the same order with the same counts. <see cref="SingleProcess"/> is
/// the one-process group (every collective is a copy or nothing), so single-process code calls the same methods.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index, 0 ≤ rank &lt; <see cref="Size"/>; rank 0 logs and writes.</summary>
    int Rank { get; }

    /// <summary>Number of processes (MPI's world size).</summary>
    int Size { get; }

    /// <summary>Element-wise sum over all ranks, in place; every rank ends with the same values.</summary>
    void AllReduceSum(Span<float> data);

    /// <summary>Element-wise sum over all ranks, in place; every rank ends with the same values.</summary>
    void AllReduceSum(Span<double> data);

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> into every rank's buffer.</summary>
    void Broadcast(Span<float> data, int root = 0);

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> into every rank's buffer.</summary>
    void Broadcast(Span<byte> data, int root = 0);

    /// <summary>
    /// Every rank's <paramref name="local"/> (rank r gives <paramref name="counts"/>[r] values) concatenated in rank
    /// order into <paramref name="all"/> (length Σ counts) on every rank.
    /// </summary>
    void AllGather(ReadOnlySpan<float> local, Span<float> all, ReadOnlySpan<int> counts);

    /// <summary>One int from every rank, in rank order (<paramref name="all"/> has <see cref="Size"/> entries).</summary>
    void AllGather(int local, Span<int> all);

    /// <summary>Returns when every rank has called it.</summary>
    void Barrier();
}
