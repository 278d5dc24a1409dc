using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>A fact that runs only where <see cref="MaxSimBlock"/>'s tiles of the given width run (skipped with the reason otherwise).</summary>
public sealed class MaxSimTilesFactAttribute : FactAttribute
{
    /// <summary>Skips unless this CPU runs <paramref name="width"/>'s tiles (<see cref="MaxSimBlock.Runs"/>).</summary>
    public MaxSimTilesFactAttribute(ManagedGemmKernel width)
    {
        if (!MaxSimBlock.Runs(width))
            Skip = $"this CPU lacks the {width switch { ManagedGemmKernel.Vector512 => "AVX-512F", ManagedGemmKernel.Vector256 => "AVX2 + FMA", _ => "NEON or FMA" }} instructions of the {width} MaxSim tiles (check /proc/cpuinfo); their exactness test runs where they exist";
    }
}
