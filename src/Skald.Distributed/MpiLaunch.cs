using Skald.Distributed.Native;

namespace Skald.Distributed;

/// <summary>
/// Whether this process was started by Open MPI's <c>mpirun</c> (it sets <c>OMPI_COMM_WORLD_SIZE</c>; PMIx launchers
/// such as Slurm's <c>srun --mpi=pmix</c> set <c>PMIX_RANK</c>), and the communicator to use: MPI's world then, the
/// single-process group otherwise, so a plain <c>skald</c> never loads libmpi.
/// </summary>
public static class MpiLaunch
{
    /// <summary>True when an MPI launcher started this process.</summary>
    public static bool UnderMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is { Length: > 0 }
        || Environment.GetEnvironmentVariable("PMIX_RANK") is { Length: > 0 };

    /// <summary>Ranks of this job on this machine (<c>OMPI_COMM_WORLD_LOCAL_SIZE</c>; 1 when not under mpirun).</summary>
    public static int LocalRanks =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int n) && n > 0 ? n : 1;

    /// <summary>
    /// Threads per rank when the user sets none: the machine's cores shared evenly by the ranks on it (at least 1), so
    /// <c>mpirun -np 2</c> on 8 cores gives each rank 4.
    /// </summary>
    public static int DefaultThreads(int cores) => Math.Max(1, cores / LocalRanks);

    /// <summary>MPI's world when <see cref="UnderMpirun"/> (MPI_Init happens here), otherwise <see cref="SingleProcess.Instance"/>.</summary>
    public static ICommunicator Start() => UnderMpirun ? MpiCommunicator.Start() : SingleProcess.Instance;
}
