using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AVX-VNNI int8 tile (4 × 16, twin: <see cref="Int8TileScalar"/>): per group of 4 k, the 4 activation bytes of a row
/// are broadcast and one 256-bit vpdpbusd (<see cref="AvxVnni.MultiplyWideningAndAdd(Vector256{int}, Vector256{byte}, Vector256{sbyte})"/>)
/// adds the four u8 · s8 products into each column's int32 lane: exact for 8-bit activations, no int16 step.
/// </summary>
internal static unsafe class Int8TileVnni
{
    /// <summary>Computes the tile into <paramref name="acc"/> [4 · 16] (row r at r · 16).</summary>
    public static void Tile(byte* a, int lda, sbyte* panel, int groups, int* acc)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<int> c20 = default, c21 = default, c30 = default, c31 = default;
        byte* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        sbyte* w = panel;
        for (int g = 0; g < groups; g++, w += 64)
        {
            var w0 = Avx.LoadVector256(w);
            var w1 = Avx.LoadVector256(w + 32);
            int o = g * 4;
            var b = Vector256.Create(*(int*)(a0 + o)).AsByte();
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0);
            c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1);
            b = Vector256.Create(*(int*)(a1 + o)).AsByte();
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0);
            c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1);
            b = Vector256.Create(*(int*)(a2 + o)).AsByte();
            c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0);
            c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1);
            b = Vector256.Create(*(int*)(a3 + o)).AsByte();
            c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0);
            c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1);
        }
        Avx.Store(acc, c00);
        Avx.Store(acc + 8, c01);
        Avx.Store(acc + 16, c10);
        Avx.Store(acc + 24, c11);
        Avx.Store(acc + 32, c20);
        Avx.Store(acc + 40, c21);
        Avx.Store(acc + 48, c30);
        Avx.Store(acc + 56, c31);
    }
}
