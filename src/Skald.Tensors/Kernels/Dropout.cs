using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Inverted dropout (the one dropout of the engine) whose mask is a pure function of (seed, element index): element i is kept when the top 24 bits of
/// a SplitMix64 hash of seed + i are ≥ p·2²⁴, and scaled by 1/(1 − p). One 64-bit draw from the model's
/// <see cref="SkaldRandom"/> gives the seed of a whole op, so the backward pass regenerates the mask instead of storing
/// it, the work runs in parallel, and saving/restoring the generator state reproduces every mask (GradCache).
/// </summary>
public static class Dropout
{
    // Elements worth a thread of their own.
    private const int MinPerThread = 65536;

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
                if (n < 2 * MinPerThread)
                {
                    ApplyRange(px, py, 0, n, seed, threshold, scale);
                    return;
                }
                // On the engine's pool (not Parallel.For: its threads would compete with the pool's spinning workers
                // for the cores); the mask depends on the element index only, so any split gives the same bytes.
                Parallelism.For(n, MinPerThread, (start, end) =>
                    ApplyRange((float*)ix + start, (float*)iy + start, start, end - start, seed, threshold, scale));
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
        unsafe
        {
            fixed (float* px = x, py = y) ApplyRange(px, py, firstIndex, x.Length, seed, threshold, scale);
        }
    }

    /// <summary>The multiplier of element <paramref name="index"/> (0 or 1/(1 − p)).</summary>
    public static float Multiplier(float p, ulong seed, long index) =>
        p == 0f ? 1f : Keep(seed, (ulong)index, (uint)Math.Ceiling(p * 16777216.0)) ? 1f / (1f - p) : 0f;

    /// <summary>
    /// y[i] = x[i]·scale or 0 for the elements firstIndex … firstIndex + count − 1 of the mask (x and y may alias): eight
    /// hashes at a time with AVX2 (the 64-bit products as 32×32-bit partial products), the tail by
    /// <see cref="ApplyRangeScalar"/>, its scalar twin; both give the same bits.
    /// </summary>
    internal static unsafe void ApplyRange(float* x, float* y, long firstIndex, long count, ulong seed, uint threshold, float scale)
    {
        long i = 0;
        if (Avx2.IsSupported && count >= 8)
        {
            var lanes = new Lanes(seed, firstIndex, threshold);
            var vscale = Vector256.Create(scale);
            for (; i + 8 <= count; i += 8)
                Avx.Store(y + i, Avx.And(Avx.Multiply(Avx.LoadVector256(x + i), vscale), lanes.Next()));
        }
        if (i < count) ApplyRangeScalar(x + i, y + i, firstIndex + i, count - i, seed, threshold, scale);
    }

    /// <summary>
    /// The keep mask of elements firstIndex … firstIndex + count − 1 as float bit patterns (all ones: kept, zero: dropped)
    /// for <see cref="ApplyMask"/>: the mask <see cref="ApplySlice"/> applies, drawn once for a kernel that applies it to
    /// more than one buffer (attention's backward: the probabilities and their gradient). p must be in (0, 1).
    /// </summary>
    internal static unsafe void MaskSlice(Span<float> mask, float p, ulong seed, long firstIndex)
    {
        if (!(p > 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), "dropout probability must be in (0, 1)");
        uint threshold = (uint)Math.Ceiling(p * 16777216.0);
        long count = mask.Length, i = 0;
        fixed (float* m = mask)
        {
            if (Avx2.IsSupported && count >= 8)
            {
                var lanes = new Lanes(seed, firstIndex, threshold);
                for (; i + 8 <= count; i += 8) Avx.Store(m + i, lanes.Next());
            }
            for (; i < count; i++) ((uint*)m)[i] = Keep(seed, (ulong)(firstIndex + i), threshold) ? uint.MaxValue : 0u;
        }
    }

    /// <summary>
    /// y[i] = x[i]·1/(1 − p) where <paramref name="mask"/> (from <see cref="MaskSlice"/>) keeps element i, else 0 (x and y may
    /// alias): the same bits as <see cref="ApplySlice"/> with the mask's p, seed and first index.
    /// </summary>
    internal static unsafe void ApplyMask(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> mask, float p)
    {
        if (y.Length < x.Length || mask.Length < x.Length) throw new ArgumentException("y and mask need x.Length elements");
        float scale = 1f / (1f - p);
        int n = x.Length, i = 0;
        fixed (float* px = x, py = y, pm = mask)
        {
            if (Avx.IsSupported)
            {
                var vscale = Vector256.Create(scale);
                for (; i + 8 <= n; i += 8)
                    Avx.Store(py + i, Avx.And(Avx.Multiply(Avx.LoadVector256(px + i), vscale), Avx.LoadVector256(pm + i)));
            }
            for (; i < n; i++) py[i] = ((uint*)pm)[i] != 0 ? px[i] * scale : 0f;
        }
    }

    /// <summary>
    /// Eight consecutive elements' keep lanes at a time, from a first index on: the SplitMix64 states of lanes 0–3 and
    /// 4–7, advanced by 8γ per call (wrapping, as the scalar hash), compared with the threshold.
    /// </summary>
    private struct Lanes
    {
        private Vector256<ulong> lo, hi;
        private readonly Vector256<long> limit;

        public Lanes(ulong seed, long firstIndex, uint threshold)
        {
            // z_k = seed + (firstIndex + k + 1)·γ.
            ulong z0 = seed + (ulong)(firstIndex + 1) * Golden;
            lo = Vector256.Create(z0, z0 + Golden, z0 + unchecked(2 * Golden), z0 + unchecked(3 * Golden));
            hi = lo + Vector256.Create(unchecked(4 * Golden));
            limit = Vector256.Create((long)threshold - 1);
        }

        /// <summary>The next eight lanes' mask (all ones: kept) as floats (inlined: a call per eight elements cost the
        /// dropout passes a third more).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Next()
        {
            var keepLo = Avx2.CompareGreaterThan(Hash(lo).AsInt64(), limit).AsInt32();
            var keepHi = Avx2.CompareGreaterThan(Hash(hi).AsInt64(), limit).AsInt32();
            lo += Step;
            hi += Step;
            // The low 32 bits of each 64-bit lane mask, in order: lanes 0–3 from keepLo, 4–7 from keepHi.
            var gather = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            return Vector256.Create(
                Avx2.PermuteVar8x32(keepLo, gather).GetLower(),
                Avx2.PermuteVar8x32(keepHi, gather).GetLower()).AsSingle();
        }

        private static readonly Vector256<ulong> Step = Vector256.Create(unchecked(8 * Golden));
    }

    /// <summary>The scalar twin of <see cref="ApplyRange"/> (and its tail).</summary>
    internal static unsafe void ApplyRangeScalar(float* x, float* y, long firstIndex, long count, ulong seed, uint threshold, float scale)
    {
        for (long i = 0; i < count; i++) y[i] = Keep(seed, (ulong)(firstIndex + i), threshold) ? x[i] * scale : 0f;
    }

    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The SplitMix64 finaliser of four lanes, shifted right by 40 (the top 24 bits, as <see cref="Keep"/> compares).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Hash(Vector256<ulong> z)
    {
        z = MulLow(z ^ Avx2.ShiftRightLogical(z, 30), 0xBF58476D1CE4E5B9UL);
        z = MulLow(z ^ Avx2.ShiftRightLogical(z, 27), 0x94D049BB133111EBUL);
        z ^= Avx2.ShiftRightLogical(z, 31);
        return Avx2.ShiftRightLogical(z, 40);
    }

    /// <summary>The low 64 bits of z·c per lane: zL·cL + ((zH·cL + zL·cH) &lt;&lt; 32) with 32×32→64-bit products.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> MulLow(Vector256<ulong> z, ulong c)
    {
        var cLo = Vector256.Create(c & 0xFFFFFFFFUL).AsUInt32();
        var cHi = Vector256.Create(c >> 32).AsUInt32();
        var zu = z.AsUInt32();
        var cross = Avx2.Multiply(Avx2.ShiftRightLogical(z, 32).AsUInt32(), cLo) + Avx2.Multiply(zu, cHi);
        return Avx2.Multiply(zu, cLo) + Avx2.ShiftLeftLogical(cross, 32);
    }

    private static bool Keep(ulong seed, ulong i, uint threshold)
    {
        ulong z = seed + (i + 1) * Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (uint)(z >> 40) >= threshold;
    }
}
