using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>A fact that runs only where <see cref="MaxSimBlock"/>'s tiles of the given width run (skipped with the reason otherwise).</summary>
public sealed class MaxSimTilesFactAttribute : FactAttribute
{
    /// <summary>Skips unless this CPU runs <paramref name="width"/>'s tiles (<see cref="ManagedGemmKernel.Vector512"/> or <see cref="ManagedGemmKernel.Vector256"/>).</summary>
    public MaxSimTilesFactAttribute(ManagedGemmKernel width)
    {
        bool runs = width == ManagedGemmKernel.Vector512 ? MaxSimBlock.Path == ManagedGemmKernel.Vector512 : MaxSimBlock.Path != ManagedGemmKernel.Vector128;
        if (!runs)
            Skip = $"this CPU lacks the {(width == ManagedGemmKernel.Vector512 ? "AVX-512F" : "AVX2 + FMA")} instructions of the {width} MaxSim tiles (check /proc/cpuinfo); their exactness test runs where they exist";
    }
}
