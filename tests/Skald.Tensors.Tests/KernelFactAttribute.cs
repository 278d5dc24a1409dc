using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>A fact that runs only on a CPU with the given int8 kernel's instructions (skipped with the reason otherwise).</summary>
public sealed class KernelFactAttribute : FactAttribute
{
    /// <summary>Skips unless <paramref name="kernel"/> runs here.</summary>
    public KernelFactAttribute(Int8Kernel kernel)
    {
        if (!Int8Gemm.IsSupported(kernel))
            Skip = kernel == Int8Kernel.Amx
                ? $"no AMX here ({AmxState.Refusal ?? "the tile code or the 512-bit VNNI fallback was not placed"}); its exactness tests run on a Linux host with amx_int8"
                : $"this CPU lacks the {kernel} instructions (check /proc/cpuinfo for {kernel switch { Int8Kernel.AvxVnni => "avx_vnni", Int8Kernel.Avx512Vnni => "avx512_vnni", Int8Kernel.Avx512BW => "avx512bw", _ => "avx2" }}); its exactness test runs where they exist";
    }
}
