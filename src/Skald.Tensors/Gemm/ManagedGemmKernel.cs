namespace Skald.Tensors.Gemm;

/// <summary>Which register-tile micro-kernel <see cref="ManagedGemm"/> uses.</summary>
public enum ManagedGemmKernel
{
    /// <summary>The widest one this CPU accelerates.</summary>
    Auto,

    /// <summary>12×32 tile of Vector512 (AVX-512).</summary>
    Vector512,

    /// <summary>6×16 tile of Vector256 (AVX2/FMA).</summary>
    Vector256,

    /// <summary>4×24 tile of Vector256 (AVX2/FMA): 12 accumulators, 3 B vectors, 1 broadcast; the AVX2 default.</summary>
    Vector256Wide,

    /// <summary>6×8 tile of Vector128 (SSE, Arm NEON).</summary>
    Vector128,
}
