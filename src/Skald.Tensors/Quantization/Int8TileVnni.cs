using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AVX-VNNI int8 tile (8 × 16, twin: <see cref="Int8TileScalar"/>): per group of 4 k, the 4 activation bytes of a
/// row are broadcast and one 256-bit vpdpbusd (<see cref="AvxVnni.MultiplyWideningAndAdd(Vector256{int}, Vector256{byte}, Vector256{sbyte})"/>)
/// adds the four u8 · s8 products into each column's int32 lane: exact for 8-bit activations, no int16 step. A group's
/// two weight vectors are loaded once for 16 vpdpbusd and 16 independent sums stay in flight (the JIT encodes them
/// EVEX on AVX-512 hosts, ymm16–31 free), 5–20% more GOP/s than the former 4 × 16 tile on Zen 5 (bench/int8).
/// </summary>
internal static unsafe class Int8TileVnni
{
    /// <summary>Rows of <see cref="Tile8"/>.</summary>
    public const int Rows = 8;

    /// <summary>Computes an 8 × 16 tile into <paramref name="acc"/> (row r at r · <paramref name="ldc"/>, 16 values).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Tile8(byte* a, int lda, sbyte* panel, int groups, int* acc, int ldc = Int8Matrix.PanelWidth)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<int> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<int> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector256<int> c60 = default, c61 = default, c70 = default, c71 = default;
        byte* a0 = a, a4 = a + 4 * lda;
        nint l = lda;
        sbyte* w = panel;
        for (int g = 0; g < groups; g++, w += 64, a0 += 4, a4 += 4)
        {
            var w0 = Avx.LoadVector256(w);
            var w1 = Avx.LoadVector256(w + 32);
            var b = Vector256.Create(*(int*)a0).AsByte();
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0);
            c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1);
            b = Vector256.Create(*(int*)(a0 + l)).AsByte();
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0);
            c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1);
            b = Vector256.Create(*(int*)(a0 + 2 * l)).AsByte();
            c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0);
            c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1);
            b = Vector256.Create(*(int*)(a0 + 3 * l)).AsByte();
            c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0);
            c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1);
            b = Vector256.Create(*(int*)a4).AsByte();
            c40 = AvxVnni.MultiplyWideningAndAdd(c40, b, w0);
            c41 = AvxVnni.MultiplyWideningAndAdd(c41, b, w1);
            b = Vector256.Create(*(int*)(a4 + l)).AsByte();
            c50 = AvxVnni.MultiplyWideningAndAdd(c50, b, w0);
            c51 = AvxVnni.MultiplyWideningAndAdd(c51, b, w1);
            b = Vector256.Create(*(int*)(a4 + 2 * l)).AsByte();
            c60 = AvxVnni.MultiplyWideningAndAdd(c60, b, w0);
            c61 = AvxVnni.MultiplyWideningAndAdd(c61, b, w1);
            b = Vector256.Create(*(int*)(a4 + 3 * l)).AsByte();
            c70 = AvxVnni.MultiplyWideningAndAdd(c70, b, w0);
            c71 = AvxVnni.MultiplyWideningAndAdd(c71, b, w1);
        }
        nint lc = ldc;
        Avx.Store(acc, c00);
        Avx.Store(acc + 8, c01);
        Avx.Store(acc + lc, c10);
        Avx.Store(acc + lc + 8, c11);
        Avx.Store(acc + 2 * lc, c20);
        Avx.Store(acc + 2 * lc + 8, c21);
        Avx.Store(acc + 3 * lc, c30);
        Avx.Store(acc + 3 * lc + 8, c31);
        Avx.Store(acc + 4 * lc, c40);
        Avx.Store(acc + 4 * lc + 8, c41);
        Avx.Store(acc + 5 * lc, c50);
        Avx.Store(acc + 5 * lc + 8, c51);
        Avx.Store(acc + 6 * lc, c60);
        Avx.Store(acc + 6 * lc + 8, c61);
        Avx.Store(acc + 7 * lc, c70);
        Avx.Store(acc + 7 * lc + 8, c71);
    }
}
