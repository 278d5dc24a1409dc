namespace Skald.Tensors;

/// <summary>How a model's weight matrices are held in memory. Computation is float32 either way.</summary>
public enum WeightPrecision
{
    /// <summary>float32 (4 bytes a value): trainable; the default.</summary>
    Float32,

    /// <summary>
    /// bfloat16 (2 bytes a value, the upper half of a float32) for the 2-D weights of linear layers and embedding
    /// tables, widened to float32 while the GEMM packs them; norms and biases stay float32. Inference, and LoRA training
    /// with the base frozen.
    /// </summary>
    BFloat16,

    /// <summary>
    /// IEEE float16 (2 bytes a value) for the same 2-D weights, widened to float32 (exactly) while the GEMM packs them.
    /// An F16 checkpoint is kept bit for bit (bfloat16 would drop 3 mantissa bits); float32 checkpoints are rounded to
    /// nearest even. Inference, and LoRA training with the base frozen.
    /// </summary>
    Float16,
}
