namespace Skald.Tensors;

/// <summary>
/// How an inference pass forms its float32 Linear products where they run as AMX bfloat16 tiles (Intel Sapphire Rapids
/// and later), after PyTorch's <c>torch.set_float32_matmul_precision</c> ("highest" / "high"; PyTorch 2.x documentation of
/// that function): <see cref="Highest"/> (the default) keeps float32's accuracy, <see cref="High"/> trades the last
/// eight bits of each product for speed. No effect on other CPUs, where the products are float32 either way.
/// </summary>
public enum Float32MatmulPrecision
{
    /// <summary>
    /// Float32 accuracy: each operand as three bfloat16 pieces, six <c>tdpbf16ps</c> terms (products within about 2^-24
    /// of their value, as the FMA kernels).
    /// </summary>
    Highest = 0,

    /// <summary>
    /// Each operand as two bfloat16 pieces (about 16 mantissa bits), three terms: about twice the tile's speed, each
    /// product within about 3·2^-16 of its value (<see cref="Quantization.HighTileAmx"/>). Encode only; training's
    /// products are unaffected.
    /// </summary>
    High = 1,
}
