namespace Skald.Tensors;

/// <summary>What this process does with <see cref="Float32MatmulPrecision"/> (for a command line's notice).</summary>
public static class Float32Matmul
{
    /// <summary>
    /// Whether <see cref="Float32MatmulPrecision.High"/> changes anything here: the float32 Linear products run as AMX
    /// bfloat16 tiles (AMX-BF16 present and usable, SKALD_AMX_FP32 not 0). Elsewhere they stay float32 at either setting.
    /// </summary>
    public static bool HighRuns => Quantization.SixTermGemm.Enabled && Quantization.HighTileAmx.IsSupported;

    /// <summary>Whether SKALD_AMX_FP32=high sets <see cref="Float32MatmulPrecision.High"/> for the whole process.</summary>
    public static bool HighByProcess => Quantization.SixTermGemm.HighByProcess;
}
