namespace Skald.Tensors;

/// <summary>
/// Small, fast, reproducible random generator (PCG-XSH-RR 32 with a SplitMix64-seeded state): the same seed gives the
/// same sequence on every platform and .NET version (unlike <see cref="Random"/>). Not thread-safe; not cryptographic.
/// </summary>
public sealed class SkaldRandom
{
    private const ulong Multiplier = 6364136223846793005UL;
    private ulong state;
    private ulong increment;
    private double? spareGaussian;

    /// <summary>A generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    public SkaldRandom(ulong seed)
    {
        ulong s = seed;
        increment = (SplitMix64(ref s) << 1) | 1UL;
        state = SplitMix64(ref s);
        NextUInt32();
    }

    /// <summary>The full generator state, for checkpoints: restoring it continues the exact same sequence.</summary>
    public ulong[] SaveState() =>
        [state, increment, spareGaussian.HasValue ? 1UL : 0UL, BitConverter.DoubleToUInt64Bits(spareGaussian ?? 0)];

    /// <summary>Restores a state produced by <see cref="SaveState"/>.</summary>
    public void RestoreState(ReadOnlySpan<ulong> saved)
    {
        if (saved.Length != 4 || (saved[1] & 1) == 0) throw new ArgumentException("not a SkaldRandom state", nameof(saved));
        state = saved[0];
        increment = saved[1];
        spareGaussian = saved[2] != 0 ? BitConverter.UInt64BitsToDouble(saved[3]) : null;
    }

    /// <summary>The next uniformly distributed 32-bit value.</summary>
    public uint NextUInt32()
    {
        ulong old = state;
        state = unchecked(old * Multiplier + increment);
        uint xorShifted = (uint)(((old >> 18) ^ old) >> 27);
        int rot = (int)(old >> 59);
        return (xorShifted >> rot) | (xorShifted << (-rot & 31));
    }

    /// <summary>The next uniformly distributed 64-bit value (two 32-bit draws).</summary>
    public ulong NextUInt64() => ((ulong)NextUInt32() << 32) | NextUInt32();

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt32() >> 8) * (1f / 16777216f);

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>) (Lemire's unbiased method).</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        uint bound = (uint)maxExclusive;
        ulong m = (ulong)NextUInt32() * bound;
        uint low = (uint)m;
        if (low < bound)
        {
            uint threshold = (uint)(-(int)bound) % bound;
            while (low < threshold)
            {
                m = (ulong)NextUInt32() * bound;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Standard normal draw (Box–Muller, caching the second value).</summary>
    public double NextGaussian()
    {
        if (spareGaussian is { } spare)
        {
            spareGaussian = null;
            return spare;
        }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareGaussian = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="destination"/> with uniform floats in [min, max).</summary>
    public void FillUniform(Span<float> destination, float min, float max)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = min + (max - min) * NextFloat();
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
