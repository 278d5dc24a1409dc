using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

/// <summary>
/// IEEE float16 (binary16) ⇄ float32. Widening is exact: the 15 bits below the sign are moved up 13 places into a
/// float32, and multiplying by 2¹¹² re-biases the exponent (127 − 15), which also turns float16 subnormals into normal
/// float32 values without rounding; infinities and NaNs (exponent all ones) get the float32 all-ones exponent with
/// their mantissa kept. Narrowing rounds to nearest even (<see cref="Half"/>'s conversion, as PyTorch's
/// <c>.to(torch.float16)</c>); values beyond ±65504 become infinities.
/// </summary>
public static class F16
{
    private const uint ReBias = 0x7780_0000u; // 2¹¹² as float32 bits

    /// <summary>The float32 a float16 stands for (exact; the scalar twin of the SIMD widening).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits)
    {
        uint em = bits & 0x7FFFu, shifted = em << 13;
        uint wide = em >= 0x7C00u
            ? shifted | 0x7F80_0000u
            : BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(shifted) * BitConverter.UInt32BitsToSingle(ReBias));
        return BitConverter.UInt32BitsToSingle(wide | ((uint)(bits & 0x8000u) << 16));
    }

    /// <summary>The float16 nearest <paramref name="value"/> (ties to even).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>8 float16 (zero-extended to 32 bits) → 8 float32, exactly as <see cref="ToSingle(ushort)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Widen(Vector256<uint> h)
    {
        var em = h & Vector256.Create(0x7FFFu);
        var shifted = Vector256.ShiftLeft(em, 13);
        var finite = (shifted.AsSingle() * Vector256.Create(BitConverter.UInt32BitsToSingle(ReBias))).AsUInt32();
        var special = Vector256.GreaterThanOrEqual(em, Vector256.Create(0x7C00u));
        var wide = Vector256.ConditionalSelect(special, shifted | Vector256.Create(0x7F80_0000u), finite);
        return (wide | Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    /// <summary>4 float16 (zero-extended to 32 bits) → 4 float32 (<see cref="Widen(Vector256{uint})"/> on 128 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Widen(Vector128<uint> h)
    {
        var em = h & Vector128.Create(0x7FFFu);
        var shifted = Vector128.ShiftLeft(em, 13);
        var finite = (shifted.AsSingle() * Vector128.Create(BitConverter.UInt32BitsToSingle(ReBias))).AsUInt32();
        var special = Vector128.GreaterThanOrEqual(em, Vector128.Create(0x7C00u));
        var wide = Vector128.ConditionalSelect(special, shifted | Vector128.Create(0x7F80_0000u), finite);
        return (wide | Vector128.ShiftLeft(h & Vector128.Create(0x8000u), 16)).AsSingle();
    }

    /// <summary>Widens <paramref name="source"/> into <paramref name="destination"/> (same length) with SIMD.</summary>
    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int n = source.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                Widen(lo).StoreUnsafe(ref d, (nuint)i);
                Widen(hi).StoreUnsafe(ref d, (nuint)(i + 8));
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                Widen(lo).StoreUnsafe(ref d, (nuint)i);
                Widen(hi).StoreUnsafe(ref d, (nuint)(i + 4));
            }
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = ToSingle(Unsafe.Add(ref s, i));
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

    /// <summary>
    /// Widens 16-bit values of either format: <see cref="WeightPrecision.BFloat16"/> (<see cref="Bf16"/>) or
    /// <see cref="WeightPrecision.Float16"/>.
    /// </summary>
    public static void ToSingle(WeightPrecision format, ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (format == WeightPrecision.Float16) ToSingle(source, destination);
        else Bf16.ToSingle(source, destination);
    }

    /// <summary>Narrows to either 16-bit format (round to nearest even).</summary>
    public static void FromSingle(WeightPrecision format, ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (format == WeightPrecision.Float16) FromSingle(source, destination);
        else Bf16.FromSingle(source, destination);
    }
}
