namespace Skald.Tensors.Kernels;

/// <summary>
/// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p). The mask holds the per-element
/// multiplier (0 or 1/(1 − p)) so the backward pass is one multiply. Reproducible from the <see cref="SkaldRandom"/> seed.
/// </summary>
public static class Dropout
{
    /// <summary>
    /// Forward. x, y, mask: [n] (x and y may alias). p in [0, 1): p = 0 copies x and fills the mask with 1.
    /// Draws exactly one 32-bit number per element from <paramref name="rng"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> mask, float p, SkaldRandom rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), "Dropout probability must be in [0, 1).");
        if (y.Length < x.Length || mask.Length < x.Length) throw new ArgumentException("y and mask need x.Length elements.");
        float scale = 1f / (1f - p);
        // Keep when the 24-bit uniform draw is >= p·2^24 (exact for any float p).
        uint threshold = (uint)Math.Ceiling(p * 16777216.0);
        for (int i = 0; i < x.Length; i++)
        {
            float m = (rng.NextUInt32() >> 8) >= threshold ? scale : 0f;
            mask[i] = m;
            y[i] = x[i] * m;
        }
    }

    /// <summary>Backward: dx = dy ⊙ mask. dy, mask, dx: [n] (dx may alias dy).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> mask, Span<float> dx)
    {
        if (mask.Length < dy.Length || dx.Length < dy.Length) throw new ArgumentException("mask and dx need dy.Length elements.");
        System.Numerics.Tensors.TensorPrimitives.Multiply(dy, mask[..dy.Length], dx[..dy.Length]);
    }
}
