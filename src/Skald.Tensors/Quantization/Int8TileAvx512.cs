using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AVX-512BW int8 tiles (8 × 16, twin: <see cref="Int8TileScalar"/>): <see cref="Int8TileAvx2"/>'s arithmetic on
/// 512-bit vectors. A panel group (16 columns × 4 k, 64 bytes) is one zmm load; a row's 4 activation bytes are
/// broadcast and vpmaddubsw adds the u8 · s8 pairs into int16 lanes, vpmaddwd by ones adds neighbouring lanes into one
/// int32 per column. <see cref="Tile"/> widens every group, <see cref="Tile2"/> adds two groups' int16 results first
/// and <see cref="Tile4"/> four (<see cref="Int8TileAvx2.Sums"/> says when each is exact: no int16 sum saturates, so
/// each tile equals the scalar twin bit for bit). One accumulator per row: 8 independent sums.
/// </summary>
internal static unsafe class Int8TileAvx512
{
    /// <summary>Rows of a tile.</summary>
    public const int Rows = 8;

    /// <summary>Computes the tile into <paramref name="acc"/> [8 · 16] (row r at r · 16), widening every group.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Tile(byte* a, int lda, sbyte* panel, int groups, int* acc)
    {
        var ones = Vector512.Create((short)1);
        Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        byte* a0 = a, a4 = a + 4 * lda;
        nint l = lda;
        sbyte* w = panel;
        for (int g = 0; g < groups; g++, w += 64, a0 += 4, a4 += 4)
        {
            var w0 = Avx512BW.LoadVector512(w);
            c0 = Avx512F.Add(c0, Avx512BW.MultiplyAddAdjacent(Dot(a0, w0), ones));
            c1 = Avx512F.Add(c1, Avx512BW.MultiplyAddAdjacent(Dot(a0 + l, w0), ones));
            c2 = Avx512F.Add(c2, Avx512BW.MultiplyAddAdjacent(Dot(a0 + 2 * l, w0), ones));
            c3 = Avx512F.Add(c3, Avx512BW.MultiplyAddAdjacent(Dot(a0 + 3 * l, w0), ones));
            c4 = Avx512F.Add(c4, Avx512BW.MultiplyAddAdjacent(Dot(a4, w0), ones));
            c5 = Avx512F.Add(c5, Avx512BW.MultiplyAddAdjacent(Dot(a4 + l, w0), ones));
            c6 = Avx512F.Add(c6, Avx512BW.MultiplyAddAdjacent(Dot(a4 + 2 * l, w0), ones));
            c7 = Avx512F.Add(c7, Avx512BW.MultiplyAddAdjacent(Dot(a4 + 3 * l, w0), ones));
        }
        Store(acc, c0, c1, c2, c3, c4, c5, c6, c7);
    }

    /// <summary>
    /// The tile with two groups' int16 results added before each vpmaddwd. <paramref name="groups"/> is a multiple of
    /// 4 (<see cref="Int8Matrix.PaddedK"/>).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Tile2(byte* a, int lda, sbyte* panel, int groups, int* acc)
    {
        var ones = Vector512.Create((short)1);
        Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        byte* a0 = a, a4 = a + 4 * lda;
        nint l = lda;
        sbyte* w = panel;
        for (int g = 0; g < groups; g += 2, w += 128, a0 += 8, a4 += 8)
        {
            var w0 = Avx512BW.LoadVector512(w);
            var w1 = Avx512BW.LoadVector512(w + 64);
            c0 = Avx512F.Add(c0, Avx512BW.MultiplyAddAdjacent(Two(a0, w0, w1), ones));
            c1 = Avx512F.Add(c1, Avx512BW.MultiplyAddAdjacent(Two(a0 + l, w0, w1), ones));
            c2 = Avx512F.Add(c2, Avx512BW.MultiplyAddAdjacent(Two(a0 + 2 * l, w0, w1), ones));
            c3 = Avx512F.Add(c3, Avx512BW.MultiplyAddAdjacent(Two(a0 + 3 * l, w0, w1), ones));
            c4 = Avx512F.Add(c4, Avx512BW.MultiplyAddAdjacent(Two(a4, w0, w1), ones));
            c5 = Avx512F.Add(c5, Avx512BW.MultiplyAddAdjacent(Two(a4 + l, w0, w1), ones));
            c6 = Avx512F.Add(c6, Avx512BW.MultiplyAddAdjacent(Two(a4 + 2 * l, w0, w1), ones));
            c7 = Avx512F.Add(c7, Avx512BW.MultiplyAddAdjacent(Two(a4 + 3 * l, w0, w1), ones));
        }
        Store(acc, c0, c1, c2, c3, c4, c5, c6, c7);
    }

    /// <summary>
    /// The tile with four groups' int16 results added before each vpmaddwd. <paramref name="groups"/> is a multiple of
    /// 4 (<see cref="Int8Matrix.PaddedK"/>).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Tile4(byte* a, int lda, sbyte* panel, int groups, int* acc)
    {
        var ones = Vector512.Create((short)1);
        Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        byte* a0 = a, a4 = a + 4 * lda;
        nint l = lda;
        sbyte* w = panel;
        for (int g = 0; g < groups; g += 4, w += 256, a0 += 16, a4 += 16)
        {
            var w0 = Avx512BW.LoadVector512(w);
            var w1 = Avx512BW.LoadVector512(w + 64);
            var w2 = Avx512BW.LoadVector512(w + 128);
            var w3 = Avx512BW.LoadVector512(w + 192);
            c0 = Avx512F.Add(c0, Avx512BW.MultiplyAddAdjacent(Four(a0, w0, w1, w2, w3), ones));
            c1 = Avx512F.Add(c1, Avx512BW.MultiplyAddAdjacent(Four(a0 + l, w0, w1, w2, w3), ones));
            c2 = Avx512F.Add(c2, Avx512BW.MultiplyAddAdjacent(Four(a0 + 2 * l, w0, w1, w2, w3), ones));
            c3 = Avx512F.Add(c3, Avx512BW.MultiplyAddAdjacent(Four(a0 + 3 * l, w0, w1, w2, w3), ones));
            c4 = Avx512F.Add(c4, Avx512BW.MultiplyAddAdjacent(Four(a4, w0, w1, w2, w3), ones));
            c5 = Avx512F.Add(c5, Avx512BW.MultiplyAddAdjacent(Four(a4 + l, w0, w1, w2, w3), ones));
            c6 = Avx512F.Add(c6, Avx512BW.MultiplyAddAdjacent(Four(a4 + 2 * l, w0, w1, w2, w3), ones));
            c7 = Avx512F.Add(c7, Avx512BW.MultiplyAddAdjacent(Four(a4 + 3 * l, w0, w1, w2, w3), ones));
        }
        Store(acc, c0, c1, c2, c3, c4, c5, c6, c7);
    }

    // int16 pair sums of one group: a's 4 bytes broadcast, times the group's 64 weight bytes (16 columns · 4 k).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Dot(byte* a, Vector512<sbyte> w) =>
        Avx512BW.MultiplyAddAdjacent(Vector512.Create(*(int*)a).AsByte(), w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Two(byte* a, Vector512<sbyte> w0, Vector512<sbyte> w1) =>
        Avx512BW.Add(Dot(a, w0), Dot(a + 4, w1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Four(byte* a, Vector512<sbyte> w0, Vector512<sbyte> w1, Vector512<sbyte> w2, Vector512<sbyte> w3) =>
        Avx512BW.Add(Avx512BW.Add(Dot(a, w0), Dot(a + 4, w1)), Avx512BW.Add(Dot(a + 8, w2), Dot(a + 12, w3)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(int* acc, Vector512<int> c0, Vector512<int> c1, Vector512<int> c2, Vector512<int> c3,
        Vector512<int> c4, Vector512<int> c5, Vector512<int> c6, Vector512<int> c7)
    {
        Avx512F.Store(acc, c0);
        Avx512F.Store(acc + 16, c1);
        Avx512F.Store(acc + 32, c2);
        Avx512F.Store(acc + 48, c3);
        Avx512F.Store(acc + 64, c4);
        Avx512F.Store(acc + 80, c5);
        Avx512F.Store(acc + 96, c6);
        Avx512F.Store(acc + 112, c7);
    }
}
