using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AVX2 int8 tile (4 × 16, twin: <see cref="Int8TileScalar"/>): per group of 4 k, the 4 activation bytes of a row
/// are broadcast, vpmaddubsw multiplies them with the panel's signed bytes and adds pairs into int16, vpmaddwd by ones
/// adds those pairs into int32 lanes, one per output column. Exact when the activations are 7-bit (0..127): a pair sum
/// is at most 2 · 127 · 128 = 32512 ≤ 32767, so the int16 step never saturates (8-bit codes could, by up to 2·255·127).
/// </summary>
internal static unsafe class Int8TileAvx2
{
    /// <summary>Computes the tile into <paramref name="acc"/> [4 · 16] (row r at r · 16).</summary>
    public static void Tile(byte* a, int lda, sbyte* panel, int groups, int* acc)
    {
        var ones = Vector256.Create((short)1);
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
            c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w0), ones));
            c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w1), ones));
            b = Vector256.Create(*(int*)(a1 + o)).AsByte();
            c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w0), ones));
            c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w1), ones));
            b = Vector256.Create(*(int*)(a2 + o)).AsByte();
            c20 = Avx2.Add(c20, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w0), ones));
            c21 = Avx2.Add(c21, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w1), ones));
            b = Vector256.Create(*(int*)(a3 + o)).AsByte();
            c30 = Avx2.Add(c30, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w0), ones));
            c31 = Avx2.Add(c31, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w1), ones));
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
