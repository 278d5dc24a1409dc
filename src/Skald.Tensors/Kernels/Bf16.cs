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

    /// <summary>Rounds <paramref name="source"/> into <paramref name="destination"/> (same length; load time only, scalar).</summary>
    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = FromSingle(source[i]);
    }
}
