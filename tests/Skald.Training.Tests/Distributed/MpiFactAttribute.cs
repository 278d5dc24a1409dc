namespace Skald.Training.Tests.Distributed;

/// <summary>A fact that runs skald under Open MPI's mpirun; skipped with the reason and the install line where it is missing.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiRun.Mpirun is null) Skip = "mpirun is not installed (Debian: apt-get install openmpi-bin libopenmpi-dev)";
    }
}
