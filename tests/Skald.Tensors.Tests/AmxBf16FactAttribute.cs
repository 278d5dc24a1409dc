using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>A fact that runs only where the process runs AMX-BF16 tiles (skipped with the reason otherwise).</summary>
public sealed class AmxBf16FactAttribute : FactAttribute
{
    /// <summary>Skips unless <see cref="Bf16TileAmx"/> runs here.</summary>
    public AmxBf16FactAttribute()
    {
        if (!Bf16TileAmx.IsSupported)
            Skip = $"no AMX-BF16 here ({AmxState.Refusal ?? "the CPU lacks amx_bf16 or the code was not placed"}); the tdpbf16ps tile's exactness tests run on a Linux host with amx_bf16";
    }
}
