using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AVX2 int8 tiles (4 × 16, twin: <see cref="Int8TileScalar"/>). Per group of 4 k, a row's 4 activation bytes are
/// broadcast and vpmaddubsw multiplies them with the panel's signed bytes, adding pairs into int16 lanes; vpmaddwd by
/// ones then adds neighbouring int16 lanes into int32, one per output column. vpmaddwd costs a multiply uop like
/// vpmaddubsw, so the tiles widen as seldom as the codes allow: <see cref="Tile"/> widens every group (exact when a
/// pair sum, at most 2 · 127 · 128 = 32512, fits int16: 7-bit activations, any int8 weight), <see cref="Tile2"/> adds two
/// groups' int16 results first (3 multiply uops per 64 products instead of 4; exact when 2 · 2 · a · w ≤ 32767, e.g.
/// 7-bit activations and |w| ≤ 63) and <see cref="Tile4"/> four (5 per 128; e.g. 6-bit activations, |w| ≤ 63).
/// <see cref="Sums"/> picks how many for given code bounds. Every sum is exact (no int16 saturation), so each tile
/// equals the scalar twin bit for bit.
/// </summary>
internal static unsafe class Int8TileAvx2
{
    /// <summary>
    /// Groups whose int16 results a tile may add before widening (4, 2 or 1), for activation codes in 0..<paramref name="activationMax"/>
    /// and weights with |q| ≤ <paramref name="weightMax"/>: the most s with s · 2 · activationMax · weightMax ≤ 32767.
    /// </summary>
    public static int Sums(int activationMax, int weightMax)
    {
        long pair = 2L * activationMax * Math.Max(1, weightMax);
        return 4 * pair <= short.MaxValue ? 4 : 2 * pair <= short.MaxValue ? 2 : 1;
    }

    /// <summary>Computes the tile into <paramref name="acc"/> [4 · 16] (row r at r · 16), widening every group.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
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
        Store(acc, c00, c01, c10, c11, c20, c21, c30, c31);
    }

    /// <summary>
    /// The tile with two groups' int16 results added before each vpmaddwd (see <see cref="Sums"/> for when that is
    /// exact). <paramref name="groups"/> is a multiple of 4 (<see cref="Int8Matrix.PaddedK"/>).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Tile2(byte* a, int lda, sbyte* panel, int groups, int* acc)
    {
        var ones = Vector256.Create((short)1);
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<int> c20 = default, c21 = default, c30 = default, c31 = default;
        byte* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        sbyte* w = panel;
        for (int g = 0; g < groups; g += 2, w += 128)
        {
            int o = g * 4;
            c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(Avx2.Add(Dot(a0 + o, w), Dot(a0 + o + 4, w + 64)), ones));
            c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(Avx2.Add(Dot(a0 + o, w + 32), Dot(a0 + o + 4, w + 96)), ones));
            c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(Avx2.Add(Dot(a1 + o, w), Dot(a1 + o + 4, w + 64)), ones));
            c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(Avx2.Add(Dot(a1 + o, w + 32), Dot(a1 + o + 4, w + 96)), ones));
            c20 = Avx2.Add(c20, Avx2.MultiplyAddAdjacent(Avx2.Add(Dot(a2 + o, w), Dot(a2 + o + 4, w + 64)), ones));
            c21 = Avx2.Add(c21, Avx2.MultiplyAddAdjacent(Avx2.Add(Dot(a2 + o, w + 32), Dot(a2 + o + 4, w + 96)), ones));
            c30 = Avx2.Add(c30, Avx2.MultiplyAddAdjacent(Avx2.Add(Dot(a3 + o, w), Dot(a3 + o + 4, w + 64)), ones));
            c31 = Avx2.Add(c31, Avx2.MultiplyAddAdjacent(Avx2.Add(Dot(a3 + o, w + 32), Dot(a3 + o + 4, w + 96)), ones));
        }
        Store(acc, c00, c01, c10, c11, c20, c21, c30, c31);
    }

    /// <summary>
    /// The tile with four groups' int16 results added before each vpmaddwd (see <see cref="Sums"/> for when that is
    /// exact). <paramref name="groups"/> is a multiple of 4 (<see cref="Int8Matrix.PaddedK"/>).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Tile4(byte* a, int lda, sbyte* panel, int groups, int* acc)
    {
        var ones = Vector256.Create((short)1);
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<int> c20 = default, c21 = default, c30 = default, c31 = default;
        byte* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        sbyte* w = panel;
        for (int g = 0; g < groups; g += 4, w += 256)
        {
            int o = g * 4;
            c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(Four(a0 + o, w), ones));
            c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(Four(a0 + o, w + 32), ones));
            c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(Four(a1 + o, w), ones));
            c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(Four(a1 + o, w + 32), ones));
            c20 = Avx2.Add(c20, Avx2.MultiplyAddAdjacent(Four(a2 + o, w), ones));
            c21 = Avx2.Add(c21, Avx2.MultiplyAddAdjacent(Four(a2 + o, w + 32), ones));
            c30 = Avx2.Add(c30, Avx2.MultiplyAddAdjacent(Four(a3 + o, w), ones));
            c31 = Avx2.Add(c31, Avx2.MultiplyAddAdjacent(Four(a3 + o, w + 32), ones));
        }
        Store(acc, c00, c01, c10, c11, c20, c21, c30, c31);
    }

    // int16 pair sums of one group: a's 4 bytes broadcast, times the 32 weight bytes at w (8 columns · 4 k).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Dot(byte* a, sbyte* w) =>
        Avx2.MultiplyAddAdjacent(Vector256.Create(*(int*)a).AsByte(), Avx.LoadVector256(w));

    // Four consecutive groups' int16 results added (groups are 64 bytes apart in the panel).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Four(byte* a, sbyte* w) =>
        Avx2.Add(Avx2.Add(Dot(a, w), Dot(a + 4, w + 64)), Avx2.Add(Dot(a + 8, w + 128), Dot(a + 12, w + 192)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(int* acc, Vector256<int> c00, Vector256<int> c01, Vector256<int> c10, Vector256<int> c11,
        Vector256<int> c20, Vector256<int> c21, Vector256<int> c30, Vector256<int> c31)
    {
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
