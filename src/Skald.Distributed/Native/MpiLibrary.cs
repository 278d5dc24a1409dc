using System.Runtime.InteropServices;

namespace Skald.Distributed.Native;

/// <summary>
/// Open MPI's C API (<c>libmpi.so.40</c>, Debian's <c>libopenmpi3</c>) through function pointers resolved with
/// <see cref="NativeLibrary.GetExport"/>: the library is loaded only when a communicator is made under mpirun, so a
/// single-process <c>skald</c> needs no MPI. Open MPI's handles (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>,
/// <c>MPI_SUM</c>, ...) are the addresses of exported globals (<c>ompi_mpi_comm_world</c>, <c>ompi_mpi_float</c>,
/// <c>ompi_mpi_op_sum</c>); <c>MPI_IN_PLACE</c> is <c>(void*)1</c> (mpi.h). Every call returns an MPI error code
/// that <see cref="Check"/> turns into an <see cref="MpiException"/> with <c>MPI_Error_string</c>'s text.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>The sonames tried, newest ABI first (<c>SKALD_MPI_LIBRARY</c> overrides).</summary>
    private static readonly string[] Names = ["libmpi.so.40", "libmpi.so"];

    /// <summary>mpi.h's MPI_SUCCESS.</summary>
    private const int Success = 0;

    /// <summary>mpi.h's MPI_IN_PLACE.</summary>
    public static readonly nint InPlace = 1;

    public readonly nint CommWorld, Float, Double, Int, Byte, OpSum, ErrorsReturn;

    public readonly delegate* unmanaged<int*, nint, int> Init;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    public readonly delegate* unmanaged<nint, nint, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<nint, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<nint, int, nint, nint, int, nint, nint, int> Allgather;
    public readonly delegate* unmanaged<nint, int, nint, nint, int*, int*, nint, nint, int> Allgatherv;
    public readonly delegate* unmanaged<nint, int> Barrier;
    private readonly delegate* unmanaged<int, byte*, int*, int> errorString;

    private MpiLibrary(nint lib)
    {
        nint F(string name) => NativeLibrary.GetExport(lib, name);
        CommWorld = F("ompi_mpi_comm_world");
        Float = F("ompi_mpi_float");
        Double = F("ompi_mpi_double");
        Int = F("ompi_mpi_int");
        Byte = F("ompi_mpi_byte");
        OpSum = F("ompi_mpi_op_sum");
        ErrorsReturn = F("ompi_mpi_errors_return");
        Init = (delegate* unmanaged<int*, nint, int>)F("MPI_Init");
        Initialized = (delegate* unmanaged<int*, int>)F("MPI_Initialized");
        Finalize = (delegate* unmanaged<int>)F("MPI_Finalize");
        Finalized = (delegate* unmanaged<int*, int>)F("MPI_Finalized");
        Abort = (delegate* unmanaged<nint, int, int>)F("MPI_Abort");
        CommRank = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)F("MPI_Comm_set_errhandler");
        Allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)F("MPI_Allreduce");
        Bcast = (delegate* unmanaged<nint, int, nint, int, nint, int>)F("MPI_Bcast");
        Allgather = (delegate* unmanaged<nint, int, nint, nint, int, nint, nint, int>)F("MPI_Allgather");
        Allgatherv = (delegate* unmanaged<nint, int, nint, nint, int*, int*, nint, nint, int>)F("MPI_Allgatherv");
        Barrier = (delegate* unmanaged<nint, int>)F("MPI_Barrier");
        errorString = (delegate* unmanaged<int, byte*, int*, int>)F("MPI_Error_string");
    }

    /// <summary>Loads libmpi and resolves every symbol; one clear line when it is missing.</summary>
    public static MpiLibrary Load()
    {
        string[] names = Environment.GetEnvironmentVariable("SKALD_MPI_LIBRARY") is { Length: > 0 } path ? [path] : Names;
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out nint lib)) continue;
            try
            {
                return new MpiLibrary(lib);
            }
            catch (EntryPointNotFoundException e)
            {
                throw new MpiException($"{name} is not Open MPI's libmpi ({e.Message}); Skald runs on Open MPI (apt-get install openmpi-bin)", e);
            }
        }
        throw new MpiException($"started by mpirun but no Open MPI library was found ({string.Join(", ", names)}); " +
            "install Open MPI (apt-get install openmpi-bin libopenmpi-dev) or set SKALD_MPI_LIBRARY");
    }

    /// <summary>Throws an <see cref="MpiException"/> naming <paramref name="call"/> unless <paramref name="code"/> is MPI_SUCCESS.</summary>
    public void Check(int code, string call)
    {
        if (code == Success) return;
        var text = stackalloc byte[512]; // MPI_MAX_ERROR_STRING is 256 in Open MPI
        int length = 0;
        string message = errorString(code, text, &length) == Success
            ? System.Text.Encoding.ASCII.GetString(text, Math.Clamp(length, 0, 512)) : $"error code {code}";
        throw new MpiException($"{call} failed: {message}");
    }

    /// <summary>libc's setenv: MCA parameters must be in the C environment before MPI_Init reads it.</summary>
    [DllImport("libc", EntryPoint = "setenv")]
    public static extern int SetEnv(string name, string value, int overwrite);
}
