using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

/// <summary>
/// Dynamic quantisation of activations, one row (token) at a time, asymmetric unsigned:
/// x ≈ scale · (q − zero), q in [0, levels], where lo = min(0, min x), hi = max(0, max x), scale = (hi − lo) / levels,
/// zero = round(−lo / scale). <c>levels</c> is 255 (8 bits, for vpdpbusd), 127 (7 bits, so that vpmaddubsw's
/// pairwise int16 sums, at most 2 · 127 · 128, never saturate) or 63 (6 bits: the AVX2 tile may add four groups). The vector path and its scalar twin give the same bytes.
/// </summary>
public static class Int8Activations
{
    /// <summary>
    /// Quantises row-major x [m, k] into q [m, ldq] (ldq ≥ k; columns k..ldq are set to 0), with per-row
    /// <paramref name="scales"/> and <paramref name="zeros"/> [m].
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> x, int m, int k, int levels, Span<byte> q, int ldq,
        Span<float> scales, Span<int> zeros, bool vectorized = true)
    {
        if (levels is not (63 or 127 or 255)) throw new ArgumentOutOfRangeException(nameof(levels), "levels is 63, 127 or 255");
        if (ldq < k || x.Length < (long)m * k || q.Length < (long)m * ldq || scales.Length < m || zeros.Length < m)
            throw new ArgumentException("buffers too small for [m, k]");
        for (int i = 0; i < m; i++)
            QuantizeRow(x.Slice(i * k, k), levels, q.Slice(i * ldq, ldq), out scales[i], out zeros[i], vectorized);
    }

    /// <summary>One row: the codes into <paramref name="q"/> (its tail beyond x's length zeroed), the scale and zero point.</summary>
    internal static void QuantizeRow(ReadOnlySpan<float> x, int levels, Span<byte> q, out float scale, out int zero, bool vectorized)
    {
        int k = x.Length;
        var (min, max) = Avx512F.IsSupported ? MinMax512(x) : Avx.IsSupported ? MinMaxAvx(x) : (TensorPrimitives.Min(x), TensorPrimitives.Max(x));
        float lo = MathF.Min(0f, min), hi = MathF.Max(0f, max);
        q[k..].Clear();
        if (!(hi > lo) || !float.IsFinite(hi - lo))
        {
            // All zero (or not finite): every code 0 with zero point 0 and scale 0 gives y = bias.
            scale = 0f;
            zero = 0;
            q[..k].Clear();
            return;
        }
        scale = (hi - lo) / levels;
        float inv = 1f / scale;
        float z = Math.Clamp(MathF.Round(-lo * inv), 0f, levels);
        zero = (int)z;
        int c = 0;
        if (vectorized && Avx512F.IsSupported)
            c = Row512(x, q, inv, z, levels);
        else if (vectorized && Avx.IsSupported)
            c = RowAvx(x, q, inv, z, levels);
        for (; c < k; c++) q[c] = (byte)Math.Clamp(MathF.Round(x[c] * inv) + z, 0f, levels);
    }

    // The row's min and max in one pass (TensorPrimitives' Min and Max take one each); NaN when x holds a NaN or an
    // infinity (x − x is then NaN), like Min/Max with a NaN, so the row quantises to zeros either way.
    private static unsafe (float Min, float Max) MinMaxAvx(ReadOnlySpan<float> x)
    {
        int k = x.Length, c = 0;
        if (k == 0) return (float.NaN, float.NaN);
        fixed (float* px = x)
        {
            float min = px[0], max = px[0], bad = 0f;
            if (k >= 8)
            {
                var vMin = Avx.LoadVector256(px);
                var vMax = vMin;
                var vBad = Vector256<float>.Zero;
                for (c = 0; c + 8 <= k; c += 8)
                {
                    var v = Avx.LoadVector256(px + c);
                    vMin = Avx.Min(vMin, v);
                    vMax = Avx.Max(vMax, v);
                    vBad = Avx.Add(vBad, Avx.Subtract(v, v));
                }
                for (int i = 0; i < 8; i++)
                {
                    min = MathF.Min(min, vMin.GetElement(i));
                    max = MathF.Max(max, vMax.GetElement(i));
                    bad += vBad.GetElement(i);
                }
            }
            for (; c < k; c++)
            {
                min = MathF.Min(min, px[c]);
                max = MathF.Max(max, px[c]);
                bad += px[c] - px[c];
            }
            return float.IsNaN(bad) ? (float.NaN, float.NaN) : (min, max);
        }
    }

    // MinMaxAvx on 16 lanes, two accumulators of each so that the loop is not one dependency chain.
    private static unsafe (float Min, float Max) MinMax512(ReadOnlySpan<float> x)
    {
        int k = x.Length, c = 0;
        if (k < 32) return MinMaxAvx(x);
        fixed (float* px = x)
        {
            var min0 = Avx512F.LoadVector512(px);
            var max0 = min0;
            var min1 = min0;
            var max1 = min0;
            var bad = Vector512<float>.Zero;
            for (; c + 32 <= k; c += 32)
            {
                var v0 = Avx512F.LoadVector512(px + c);
                var v1 = Avx512F.LoadVector512(px + c + 16);
                min0 = Avx512F.Min(min0, v0);
                max0 = Avx512F.Max(max0, v0);
                min1 = Avx512F.Min(min1, v1);
                max1 = Avx512F.Max(max1, v1);
                bad = Avx512F.Add(bad, Avx512F.Add(Avx512F.Subtract(v0, v0), Avx512F.Subtract(v1, v1)));
            }
            // Halving folds down to one lane (min and max are exact in any order; a NaN in bad survives any sum).
            var vMin = Avx512F.Min(min0, min1);
            var vMax = Avx512F.Max(max0, max1);
            var m8 = Avx.Min(vMin.GetLower(), vMin.GetUpper());
            var x8 = Avx.Max(vMax.GetLower(), vMax.GetUpper());
            var m4 = Sse.Min(m8.GetLower(), m8.GetUpper());
            var x4 = Sse.Max(x8.GetLower(), x8.GetUpper());
            m4 = Sse.Min(m4, Sse.MoveHighToLow(m4, m4));
            x4 = Sse.Max(x4, Sse.MoveHighToLow(x4, x4));
            float min = MathF.Min(m4.ToScalar(), m4.GetElement(1)), max = MathF.Max(x4.ToScalar(), x4.GetElement(1));
            float b = Vector512.Sum(bad);
            for (; c < k; c++)
            {
                min = MathF.Min(min, px[c]);
                max = MathF.Max(max, px[c]);
                b += px[c] - px[c];
            }
            return float.IsNaN(b) ? (float.NaN, float.NaN) : (min, max);
        }
    }

    // RowAvx on 16 lanes: round(x·inv) + z clamped to [0, levels], converted exactly and narrowed to bytes (vpmovdb).
    private static unsafe int Row512(ReadOnlySpan<float> x, Span<byte> q, float inv, float z, int levels)
    {
        int k = x.Length, c = 0;
        var vInv = Vector512.Create(inv);
        var vZ = Vector512.Create(z);
        var vMax = Vector512.Create((float)levels);
        fixed (float* px = x)
        fixed (byte* pq = q)
        {
            for (; c + 16 <= k; c += 16)
            {
                // RoundScale 8: to nearest even, no precision exception (MathF.Round's rounding).
                var v = Avx512F.Add(Avx512F.RoundScale(Avx512F.Multiply(Avx512F.LoadVector512(px + c), vInv), 8), vZ);
                v = Avx512F.Min(Avx512F.Max(v, Vector512<float>.Zero), vMax);
                Avx512F.ConvertToVector128Byte(Avx512F.ConvertToVector512Int32WithTruncation(v)).Store(pq + c);
            }
        }
        return c;
    }

    // 32 values a step: round(x·inv) + z, clamped to [0, levels], converted exactly and narrowed to bytes.
    private static unsafe int RowAvx(ReadOnlySpan<float> x, Span<byte> q, float inv, float z, int levels)
    {
        int k = x.Length, c = 0;
        var vInv = Vector256.Create(inv);
        var vZ = Vector256.Create(z);
        var vMax = Vector256.Create((float)levels);
        fixed (float* px = x)
        fixed (byte* pq = q)
        {
            for (; c + 32 <= k; c += 32)
            {
                var i0 = Code(Avx.LoadVector256(px + c), vInv, vZ, vMax);
                var i1 = Code(Avx.LoadVector256(px + c + 8), vInv, vZ, vMax);
                var i2 = Code(Avx.LoadVector256(px + c + 16), vInv, vZ, vMax);
                var i3 = Code(Avx.LoadVector256(px + c + 24), vInv, vZ, vMax);
                var s0 = Vector256.Narrow(i0, i1).AsUInt16();
                var s1 = Vector256.Narrow(i2, i3).AsUInt16();
                Vector256.Narrow(s0, s1).Store(pq + c);
            }
        }
        return c;
    }

    private static Vector256<int> Code(Vector256<float> x, Vector256<float> inv, Vector256<float> z, Vector256<float> max)
    {
        var v = Avx.Add(Avx.RoundToNearestInteger(Avx.Multiply(x, inv)), z);
        v = Avx.Min(Avx.Max(v, Vector256<float>.Zero), max);
        return Avx.ConvertToVector256Int32WithTruncation(v);
    }
}
