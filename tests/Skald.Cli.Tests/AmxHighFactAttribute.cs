namespace Skald.Cli.Tests;

/// <summary>A fact that needs float32 products at "high" to differ from "highest" (AMX-BF16 running them); skipped with the reason elsewhere.</summary>
public sealed class AmxHighFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason where <see cref="Skald.Tensors.Float32Matmul.HighRuns"/> is false.</summary>
    public AmxHighFactAttribute()
    {
        if (!Skald.Tensors.Float32Matmul.HighRuns)
            Skip = "this CPU has no usable AMX-BF16 (or SKALD_AMX_FP32=0): --float32-matmul high computes what highest does here";
    }
}
