using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// The kernels of <see cref="QuantizedSearch"/>, pure functions over spans: Hamming distance of packed bits, integer
/// dot products of int8 / uint8 rows (SIMD, with scalar twins that give the same integers), and the rescoring dot of a
/// float query with a quantized row's values.
/// </summary>
internal static class QuantizedDots
{
    /// <summary>Bits that differ between two packed rows of equal length (popcount of their XOR, 8 bytes at a time).</summary>
    public static int Hamming(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int words = a.Length / 8, distance = 0;
        var wa = MemoryMarshal.Cast<byte, ulong>(a[..(words * 8)]);
        var wb = MemoryMarshal.Cast<byte, ulong>(b[..(words * 8)]);
        for (int i = 0; i < words; i++) distance += BitOperations.PopCount(wa[i] ^ wb[i]);
        for (int i = words * 8; i < a.Length; i++) distance += BitOperations.PopCount((uint)(a[i] ^ b[i]));
        return distance;
    }

    /// <summary>Σ a[i]·b[i] over signed bytes (int8 rows), exact in 32 bits for rows up to 100,000 values.</summary>
    public static int DotInt8(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var sa = MemoryMarshal.Cast<byte, sbyte>(a);
        var sb = MemoryMarshal.Cast<byte, sbyte>(b);
        int i = 0, sum = 0;
        if (Avx512BW.IsSupported && sa.Length >= 64)
        {
            // 64 values a step: sign-extended to shorts, vpmaddwd multiplies and adds neighbours into 16 ints.
            var acc = Vector512<int>.Zero;
            for (; i <= sa.Length - 64; i += 64)
            {
                var (alo, ahi) = Vector512.Widen(Vector512.Create(sa.Slice(i, 64)));
                var (blo, bhi) = Vector512.Widen(Vector512.Create(sb.Slice(i, 64)));
                acc += Avx512BW.MultiplyAddAdjacent(alo, blo) + Avx512BW.MultiplyAddAdjacent(ahi, bhi);
            }
            sum = Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && sa.Length - i >= 32)
        {
            var acc = Vector256<int>.Zero;
            for (; i <= sa.Length - 32; i += 32)
            {
                var (alo, ahi) = Vector256.Widen(Vector256.Create(sa.Slice(i, 32)));
                var (blo, bhi) = Vector256.Widen(Vector256.Create(sb.Slice(i, 32)));
                acc += WidenedProducts(alo * blo) + WidenedProducts(ahi * bhi); // |a·b| ≤ 16,384 fits a short
            }
            sum += Vector256.Sum(acc);
        }
        for (; i < sa.Length; i++) sum += sa[i] * sb[i];
        return sum;
    }

    /// <summary>Scalar twin of <see cref="DotInt8"/>.</summary>
    public static int DotInt8Scalar(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (sbyte)a[i] * (sbyte)b[i];
        return sum;
    }

    /// <summary>Σ a[i]·b[i] over unsigned bytes (uint8 rows), exact in 32 bits for rows up to 33,000 values.</summary>
    public static int DotUint8(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int i = 0, sum = 0;
        if (Avx512BW.IsSupported && a.Length >= 64)
        {
            // Zero-extended to shorts (0..255 are positive shorts), vpmaddwd's signed products are the unsigned ones.
            var acc = Vector512<int>.Zero;
            for (; i <= a.Length - 64; i += 64)
            {
                var (alo, ahi) = Vector512.Widen(Vector512.Create(a.Slice(i, 64)));
                var (blo, bhi) = Vector512.Widen(Vector512.Create(b.Slice(i, 64)));
                acc += Avx512BW.MultiplyAddAdjacent(alo.AsInt16(), blo.AsInt16()) + Avx512BW.MultiplyAddAdjacent(ahi.AsInt16(), bhi.AsInt16());
            }
            sum = Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && a.Length - i >= 32)
        {
            var acc = Vector256<uint>.Zero;
            for (; i <= a.Length - 32; i += 32)
            {
                var (alo, ahi) = Vector256.Widen(Vector256.Create(a.Slice(i, 32)));
                var (blo, bhi) = Vector256.Widen(Vector256.Create(b.Slice(i, 32)));
                acc += WidenedProducts(alo * blo) + WidenedProducts(ahi * bhi); // a·b ≤ 65,025 fits a ushort
            }
            sum += (int)Vector256.Sum(acc);
        }
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Scalar twin of <see cref="DotUint8"/>.</summary>
    public static int DotUint8Scalar(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>
    /// The rescoring dot of sentence-transformers: the float query times the row's values (int8 and uint8 levels as
    /// integers; binary and ubinary as their bits, 0 or 1, first dimension in each byte's high bit).
    /// </summary>
    public static float Rescore(ReadOnlySpan<float> query, ReadOnlySpan<byte> row, EmbeddingPrecision precision)
    {
        float sum = 0f;
        switch (precision)
        {
            case EmbeddingPrecision.Int8:
                for (int d = 0; d < query.Length; d++) sum += query[d] * (sbyte)row[d];
                break;
            case EmbeddingPrecision.Uint8:
                for (int d = 0; d < query.Length; d++) sum += query[d] * row[d];
                break;
            case EmbeddingPrecision.Binary:
            case EmbeddingPrecision.Ubinary:
                int flip = precision == EmbeddingPrecision.Binary ? 0x80 : 0;
                for (int d = 0; d < query.Length; d++)
                    if ((((row[d >> 3] ^ flip) << (d & 7)) & 0x80) != 0) sum += query[d];
                break;
            default:
                throw new ArgumentException($"no rescoring for {EmbeddingQuantizer.Name(precision)}");
        }
        return sum;
    }

    private static Vector256<int> WidenedProducts(Vector256<short> p)
    {
        var (lo, hi) = Vector256.Widen(p);
        return lo + hi;
    }

    private static Vector256<uint> WidenedProducts(Vector256<ushort> p)
    {
        var (lo, hi) = Vector256.Widen(p);
        return lo + hi;
    }
}
