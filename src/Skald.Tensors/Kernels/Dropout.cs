
namespace Skald.Tensors.Kernels;

/// <summary>
/// Inverted dropout (the one dropout of the engine) whose mask is a pure function of (seed, element index): element i is kept when the top 24 bits of
/// a SplitMix64 hash of seed + i are ≥ p·2²⁴, and scaled by 1/(1 − p). One 64-bit draw from the model's
/// <see cref="SkaldRandom"/> gives the seed of a whole op, so the backward pass regenerates the mask instead of storing
/// it, the work runs in parallel, and saving/restoring the generator state reproduces every mask (GradCache).
/// </summary>
public static class Dropout
{
    /// <summary>y = x ⊙ mask(seed) (x and y may alias). p = 0 copies.</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, float p, ulong seed)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), "dropout probability must be in [0, 1)");
        if (y.Length < x.Length) throw new ArgumentException("y needs x.Length elements", nameof(y));
        if (p == 0f)
        {
            x.CopyTo(y);
            return;
        }
        unsafe
        {
            fixed (float* px = x, py = y)
            {
                nint ix = (nint)px, iy = (nint)py;
                int n = x.Length;
                float scale = 1f / (1f - p);
                uint threshold = (uint)Math.Ceiling(p * 16777216.0);
                int threads = Math.Max(1, Math.Min(Parallelism.MaxThreads, n / 65536));
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    long start = (long)n * t / threads, end = (long)n * (t + 1) / threads;
                    float* xs = (float*)ix, ys = (float*)iy;
                    for (long i = start; i < end; i++)
                        ys[i] = Keep(seed, (ulong)i, threshold) ? xs[i] * scale : 0f;
                });
            }
        }
    }

    /// <summary>
    /// y[i] = x[i] · multiplier of element <paramref name="firstIndex"/> + i: the mask <see cref="Apply"/> gives a whole
    /// buffer, on a slice of it starting at <paramref name="firstIndex"/>, single-threaded (for kernels that already run
    /// work items in parallel). x and y may alias. p = 0 copies.
    /// </summary>
    public static void ApplySlice(ReadOnlySpan<float> x, Span<float> y, float p, ulong seed, long firstIndex)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), "dropout probability must be in [0, 1)");
        if (y.Length < x.Length) throw new ArgumentException("y needs x.Length elements", nameof(y));
        if (p == 0f)
        {
            x.CopyTo(y);
            return;
        }
        float scale = 1f / (1f - p);
        uint threshold = (uint)Math.Ceiling(p * 16777216.0);
        for (int i = 0; i < x.Length; i++) y[i] = Keep(seed, (ulong)(firstIndex + i), threshold) ? x[i] * scale : 0f;
    }

    /// <summary>The multiplier of element <paramref name="index"/> (0 or 1/(1 − p)).</summary>
    public static float Multiplier(float p, ulong seed, long index) =>
        p == 0f ? 1f : Keep(seed, (ulong)index, (uint)Math.Ceiling(p * 16777216.0)) ? 1f / (1f - p) : 0f;

    private static bool Keep(ulong seed, ulong i, uint threshold)
    {
        ulong z = seed + (i + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (uint)(z >> 40) >= threshold;
    }
}
