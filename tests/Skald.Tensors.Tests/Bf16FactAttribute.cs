using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>A fact that runs only on a CPU with AVX512-BF16 (skipped with the reason otherwise).</summary>
public sealed class Bf16FactAttribute : FactAttribute
{
    /// <summary>Skips unless the <c>vdpbf16ps</c> tile runs here.</summary>
    public Bf16FactAttribute()
    {
        if (!Bf16Gemm.IsSupported)
            Skip = "this CPU lacks AVX512-BF16 (check /proc/cpuinfo for avx512_bf16); the vdpbf16ps tile's tests run where it exists";
    }
}
