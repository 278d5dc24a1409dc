using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

/// <summary>
/// bfloat16 ⇄ float32. A bfloat16 is the upper 16 bits of a float32, so widening is a 16-bit shift (exact);
/// narrowing rounds to nearest, ties to even (as PyTorch's <c>.to(torch.bfloat16)</c>), NaN stays NaN.
/// </summary>
public static class Bf16
{
    /// <summary>The float32 a bfloat16 stands for (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>The bfloat16 nearest <paramref name="value"/> (ties to even; NaN stays a quiet NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7FFF_FFFFu) > 0x7F80_0000u) return (ushort)((u >> 16) | 0x0040u);
        u += 0x7FFFu + ((u >> 16) & 1u);
        return (ushort)(u >> 16);
    }

    /// <summary>Widens <paramref name="source"/> into <paramref name="destination"/> (same length) with SIMD.</summary>
    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref uint d = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        int n = source.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref s, (nuint)i));
                Vector512.ShiftLeft(lo, 16).StoreUnsafe(ref d, (nuint)i);
                Vector512.ShiftLeft(hi, 16).StoreUnsafe(ref d, (nuint)(i + 16));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                Vector256.ShiftLeft(lo, 16).StoreUnsafe(ref d, (nuint)i);
                Vector256.ShiftLeft(hi, 16).StoreUnsafe(ref d, (nuint)(i + 8));
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                Vector128.ShiftLeft(lo, 16).StoreUnsafe(ref d, (nuint)i);
                Vector128.ShiftLeft(hi, 16).StoreUnsafe(ref d, (nuint)(i + 4));
            }
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = (uint)Unsafe.Add(ref s, i) << 16;
    }

    /// <summary>Scalar twin of <see cref="ToSingle(ReadOnlySpan{ushort}, Span{float})"/>.</summary>
    public static void ToSingleReference(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = ToSingle(source[i]);
    }

    /// <summary>
    /// Rounds <paramref name="source"/> into <paramref name="destination"/> (same length) with SIMD: the bits of
    /// <see cref="FromSingle(float)"/> value by value (twin: <see cref="FromSingleReference"/>). The bfloat16 GEMM
    /// rounds its activations with it on every call.
    /// </summary>
    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort d = ref MemoryMarshal.GetReference(destination);
        int n = source.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
                Vector512.Narrow(Round(Vector512.LoadUnsafe(ref s, (nuint)i)), Round(Vector512.LoadUnsafe(ref s, (nuint)(i + 16))))
                    .StoreUnsafe(ref d, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
                Vector256.Narrow(Round(Vector256.LoadUnsafe(ref s, (nuint)i)), Round(Vector256.LoadUnsafe(ref s, (nuint)(i + 8))))
                    .StoreUnsafe(ref d, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = FromSingle(BitConverter.UInt32BitsToSingle(Unsafe.Add(ref s, i)));
    }

    /// <summary>Scalar twin of <see cref="FromSingle(ReadOnlySpan{float}, Span{ushort})"/>.</summary>
    public static void FromSingleReference(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = FromSingle(source[i]);
    }

    // FromSingle(float) on 16 lanes, the bfloat16 in each lane's low half.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> Round(Vector512<uint> u)
    {
        var nan = Vector512.GreaterThan(u & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        return Vector512.ConditionalSelect(nan, Vector512.ShiftRightLogical(u, 16) | Vector512.Create(0x0040u), RoundNotNaN(u));
    }

    // Round on lanes that hold no NaN (the same bits there): ties to even, a carry into the exponent rounding up.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> RoundNotNaN(Vector512<uint> u) =>
        Vector512.ShiftRightLogical(u + Vector512.Create(0x7FFFu) + (Vector512.ShiftRightLogical(u, 16) & Vector512<uint>.One), 16);

    // FromSingle(float) on 8 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Round(Vector256<uint> u)
    {
        var rounded = Vector256.ShiftRightLogical(u + Vector256.Create(0x7FFFu) + (Vector256.ShiftRightLogical(u, 16) & Vector256<uint>.One), 16);
        var nan = Vector256.GreaterThan(u & Vector256.Create(0x7FFF_FFFFu), Vector256.Create(0x7F80_0000u));
        return Vector256.ConditionalSelect(nan, Vector256.ShiftRightLogical(u, 16) | Vector256.Create(0x0040u), rounded);
    }
}
