namespace Skald.Distributed.Native;

/// <summary>
/// <see cref="ICommunicator"/> over <c>MPI_COMM_WORLD</c> with Open MPI. <see cref="Start"/> initialises MPI once per
/// process and sets <c>MPI_ERRORS_RETURN</c> on the communicator, so a failed call becomes an
/// <see cref="MpiException"/> rather than an abort inside the library. Counts above int.MaxValue are sent in chunks.
/// </summary>
internal sealed unsafe class MpiCommunicator : ICommunicator
{
    private const int Chunk = 1 << 28;
    private readonly MpiLibrary mpi;
    private bool disposed;

    private MpiCommunicator(MpiLibrary mpi, int rank, int size)
    {
        this.mpi = mpi;
        Rank = rank;
        Size = size;
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <summary>Loads libmpi, calls MPI_Init and returns the world communicator.</summary>
    public static MpiCommunicator Start()
    {
        var mpi = MpiLibrary.Load();
        // Open MPI installs SIGSEGV/SIGBUS/SIGFPE/SIGILL handlers for its backtraces (MCA opal_signal); the .NET runtime
        // needs SIGSEGV for NullReferenceException, so leave the signals alone unless the user set the parameter.
        if (Environment.GetEnvironmentVariable("OMPI_MCA_opal_signal") is null) MpiLibrary.SetEnv("OMPI_MCA_opal_signal", "", 0);
        int initialized = 0;
        mpi.Check(mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0) mpi.Check(mpi.Init(null, 0), "MPI_Init");
        mpi.Check(mpi.CommSetErrhandler(mpi.CommWorld, mpi.ErrorsReturn), "MPI_Comm_set_errhandler");
        int rank = 0, size = 0;
        mpi.Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        mpi.Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        return new MpiCommunicator(mpi, rank, size);
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<float> data)
    {
        fixed (float* p = data) SumChunks((nint)p, data.Length, sizeof(float), mpi.Float);
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> data)
    {
        fixed (double* p = data) SumChunks((nint)p, data.Length, sizeof(double), mpi.Double);
    }

    /// <inheritdoc />
    public void Broadcast(Span<float> data, int root = 0)
    {
        fixed (float* p = data) BroadcastChunks((nint)p, data.Length, sizeof(float), mpi.Float, root);
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root = 0)
    {
        fixed (byte* p = data) BroadcastChunks((nint)p, data.Length, 1, mpi.Byte, root);
    }

    /// <inheritdoc />
    public void AllGather(ReadOnlySpan<float> local, Span<float> all, ReadOnlySpan<int> counts)
    {
        if (counts.Length != Size) throw new ArgumentException($"{counts.Length} counts for {Size} ranks", nameof(counts));
        if (counts[Rank] != local.Length) throw new ArgumentException($"rank {Rank} gives {local.Length} values, counts say {counts[Rank]}");
        var displs = new int[Size];
        long total = 0;
        for (int r = 0; r < Size; r++)
        {
            displs[r] = checked((int)total);
            total += counts[r];
        }
        if (total != all.Length) throw new ArgumentException($"all has {all.Length} values, counts add up to {total}", nameof(all));
        fixed (float* s = local)
        fixed (float* d = all)
        fixed (int* c = counts)
        fixed (int* o = displs)
        {
            // A zero-length local span may pin to null; MPI accepts any address for a count of 0.
            mpi.Check(mpi.Allgatherv((nint)s, local.Length, mpi.Float, (nint)d, c, o, mpi.Float, mpi.CommWorld), "MPI_Allgatherv");
        }
    }

    /// <inheritdoc />
    public void AllGather(int local, Span<int> all)
    {
        if (all.Length != Size) throw new ArgumentException($"all has {all.Length} entries for {Size} ranks", nameof(all));
        fixed (int* d = all) mpi.Check(mpi.Allgather((nint)(&local), 1, mpi.Int, (nint)d, 1, mpi.Int, mpi.CommWorld), "MPI_Allgather");
    }

    /// <inheritdoc />
    public void Barrier() => mpi.Check(mpi.Barrier(mpi.CommWorld), "MPI_Barrier");

    /// <summary>The exception an MPI call returning <paramref name="code"/> raises (for <c>skald mpi-check</c>).</summary>
    internal MpiException? ErrorOf(int code)
    {
        try
        {
            mpi.Check(code, "MPI_Bcast");
            return null;
        }
        catch (MpiException e)
        {
            return e;
        }
    }

    /// <summary>Ends the whole job (every rank) with <paramref name="code"/>: MPI_Abort.</summary>
    public void Abort(int code) => mpi.Abort(mpi.CommWorld, code);

    /// <summary>MPI_Finalize (once; after it no collective may be called).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        int finalized = 0;
        if (mpi.Finalized(&finalized) == 0 && finalized == 0) mpi.Finalize();
    }

    private void SumChunks(nint p, int length, int width, nint type)
    {
        for (int at = 0; at < length; at += Chunk)
        {
            int n = Math.Min(Chunk, length - at);
            mpi.Check(mpi.Allreduce(MpiLibrary.InPlace, p + (nint)at * width, n, type, mpi.OpSum, mpi.CommWorld), "MPI_Allreduce");
        }
    }

    private void BroadcastChunks(nint p, int length, int width, nint type, int root)
    {
        if (root < 0 || root >= Size) throw new ArgumentOutOfRangeException(nameof(root), $"root {root} of {Size} ranks");
        for (int at = 0; at < length; at += Chunk)
        {
            int n = Math.Min(Chunk, length - at);
            mpi.Check(mpi.Bcast(p + (nint)at * width, n, type, root, mpi.CommWorld), "MPI_Bcast");
        }
    }
}
