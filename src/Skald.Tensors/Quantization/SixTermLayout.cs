using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Bf16 = Skald.Tensors.Kernels.Bf16;

namespace Skald.Tensors.Quantization;

/// <summary>
/// How <see cref="SixTermTileAmx"/> reads the bfloat16 pieces of x and W: per 32-row block of x (or 32-column panel pair
/// of W) and 32-deep chunk of k one 6 KB step of six 1 KB tiles, [piece 0–2][half 0–1], each tile 16 rows × 64 bytes:
/// x's tile is 16 rows × 32 k, W's 16 pairs of k × 16 columns × 2 (AMX's bfloat16 B layout); a layout of fewer pieces
/// (<see cref="StepValuesOf"/>: "high" precision's two, 4 KB a step; a bfloat16-exact W's one) is the first tiles of
/// that step, at the same offsets. Blocks are
/// <c>chunks</c> steps long, K padded with zeros to whole chunks, rows and columns to whole blocks (zero pieces add
/// exactly 0). The split: p1 = bf16(v) to nearest even, p2 = bf16(v − p1), p3 = bf16(v − p1 − p2), each difference exact
/// in float32; a piece that is infinite or NaN ends the split (the later pieces 0, so ±∞ stays ±∞ and not NaN), and a finite
/// value that would round to ∞ (within half a bfloat16 step of float.MaxValue) takes its first piece toward zero.
/// Values within 2^-133 of zero lose pieces that bfloat16 denormals would hold (the tile reads them as zero).
/// </summary>
internal static unsafe class SixTermLayout
{
    /// <summary>One tile: 16 rows × 64 bytes.</summary>
    public const int TileBytes = 1024;

    /// <summary>One chunk of a block: three pieces × two halves.</summary>
    public const int StepBytes = 6 * TileBytes;

    /// <summary>bfloat16 values in a step.</summary>
    public const int StepValues = StepBytes / sizeof(ushort);

    /// <summary>Rows of a block of x (columns of a panel pair of W), and the depth of a chunk.</summary>
    public const int Block = 32;

    /// <summary>
    /// bfloat16 values in a step of <paramref name="pieces"/> pieces (its first pieces' tiles, in the same places as in a
    /// three-piece step): 3 for the six terms, 2 for "high" precision (<see cref="HighTileAmx"/>: 4 KB a step, what its
    /// three terms read), 1 for a bfloat16-exact W (<see cref="ThreeTermTileAmx.WStepValues"/>).
    /// </summary>
    public static int StepValuesOf(int pieces) => pieces * 2 * TileBytes / sizeof(ushort);

    /// <summary>Bytes from a step to the tile of <paramref name="piece"/>, <paramref name="half"/>.</summary>
    public static int Offset(int piece, int half) => (2 * piece + half) * TileBytes;

    /// <summary>Chunks of 32 k holding <paramref name="k"/> (at least 1).</summary>
    public static int Chunks(int k) => Math.Max(1, (k + Block - 1) / Block);

    /// <summary>The index in a block of x's piece <paramref name="s"/> at row <paramref name="r"/> (&lt; 32), k <paramref name="t"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long XIndex(int r, int t, int s) => XIndex(r, t, s, StepValues);

    /// <summary><see cref="XIndex(int, int, int)"/> for a block whose steps are <paramref name="stepValues"/> apart (<see cref="StepValuesOf"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long XIndex(int r, int t, int s, int stepValues) =>
        (long)(t / Block) * stepValues + (Offset(s, r / 16) + r % 16 * 64) / sizeof(ushort) + t % Block;

    /// <summary>The index in a panel pair of W's piece <paramref name="s"/> at column <paramref name="j"/> (&lt; 32), k <paramref name="t"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WIndex(int j, int t, int s) => WIndex(j, t, s, StepValues);

    /// <summary>
    /// <see cref="WIndex(int, int, int)"/> for a W whose steps are <paramref name="stepValues"/> apart: W's first piece alone,
    /// two tiles a step (<see cref="ThreeTermTileAmx.WStepValues"/>), or all three.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WIndex(int j, int t, int s, int stepValues) =>
        (long)(t / Block) * stepValues + Offset(s, j / 16) / sizeof(ushort) + t % Block / 2 * 32 + j % 16 * 2 + (t & 1);

    /// <summary>The next piece of <paramref name="rest"/> (bfloat16 bits), and what is left after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Piece(ref float rest)
    {
        ushort bits = Bf16.FromSingle(rest);
        if (float.IsFinite(rest) && !float.IsFinite(Bf16.ToSingle(bits))) bits = (ushort)(BitConverter.SingleToUInt32Bits(rest) >> 16);
        float hi = Bf16.ToSingle(bits);
        rest = float.IsFinite(hi) ? rest - hi : 0f;
        return bits;
    }

    /// <summary>
    /// The float32 three pieces stand for: p1 + (p2 + p3), p2 + p3 first (it is the split's first remainder, v − p1, so
    /// both sums are exact; (p1 + p2) + p3 would overflow for float.MaxValue, whose p1 + p2 rounds up to 2^128), or p1
    /// alone when p2 and p3 are +0 (so −0, ±∞ and a NaN come back as their first piece, not as +0 or a sum). Every
    /// float32 of magnitude at least 2^-110 (its last bit at or above bfloat16's smallest denormal, 2^-133), ±0, ±∞ and
    /// quiet NaNs whose low 16 bits are zero come back bit for bit from their split; smaller values and other NaNs need bits
    /// the pieces do not hold (<see cref="SixTermMatrix.Lossless"/> says whether a whole weight came back).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Join(ushort p1, ushort p2, ushort p3) =>
        (p2 | p3) == 0 ? Bf16.ToSingle(p1) : Bf16.ToSingle(p1) + (Bf16.ToSingle(p2) + Bf16.ToSingle(p3));

    /// <summary><see cref="Piece(ref float)"/> on 16 lanes (the same bits): each lane's bfloat16 in its low half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Piece16(ref Vector512<float> rest)
    {
        var u = rest.AsUInt32();
        var bits = Bf16.Round(u);
        var overflow = Vector512.AndNot(Exponent255(Vector512.ShiftLeft(bits, 16)), Exponent255(u));
        bits = Vector512.ConditionalSelect(overflow, Vector512.ShiftRightLogical(u, 16), bits);
        var hi = Vector512.ShiftLeft(bits, 16);
        rest = Vector512.AndNot(rest - hi.AsSingle(), Exponent255(hi).AsSingle());
        return bits;
    }

    /// <summary><see cref="Join"/> on 16 lanes (the same bits), from three pieces in the lanes' low halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Join16(Vector512<uint> p1, Vector512<uint> p2, Vector512<uint> p3)
    {
        var first = Vector512.ShiftLeft(p1, 16).AsSingle();
        var sum = first + (Vector512.ShiftLeft(p2, 16).AsSingle() + Vector512.ShiftLeft(p3, 16).AsSingle());
        return Vector512.ConditionalSelect(Vector512.Equals(p2 | p3, Vector512<uint>.Zero).AsSingle(), first, sum);
    }

    /// <summary>
    /// The three pieces of 16 lanes of <paramref name="v"/>, each lane's bfloat16 in its low half: <see cref="Piece16"/>
    /// three times, the same bits, with the care for ∞, NaN and values that would round to ∞ spent on the first piece
    /// only. What the first leaves is +0 (after a piece that is ∞ or NaN) or a finite value within a bfloat16 step of
    /// it (below 2^121), so the second and third are plain roundings to nearest even: neither can be ∞ or NaN nor
    /// leave one. Sixteen lanes all below 2^127 in magnitude (no ∞ or NaN, none that could round to ∞) take the first
    /// piece as a plain rounding too: Piece16's care changes nothing there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Split16(Vector512<float> v, out Vector512<uint> p1, out Vector512<uint> p2, out Vector512<uint> p3)
    {
        var rest = v;
        if (Vector512.LessThanAll(v.AsUInt32() & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F00_0000u)))
        {
            p1 = Bf16.RoundNotNaN(v.AsUInt32());
            rest = v - Vector512.ShiftLeft(p1, 16).AsSingle();
        }
        else p1 = Piece16(ref rest);
        p2 = Bf16.RoundNotNaN(rest.AsUInt32());
        p3 = Bf16.RoundNotNaN((rest - Vector512.ShiftLeft(p2, 16).AsSingle()).AsUInt32());
    }

    // A lane's bfloat16 (its low half) as 16 packed values: one vpmovdw.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ushort> Narrow16(Vector512<uint> bits) =>
        Avx512F.IsSupported ? Avx512F.ConvertToVector256UInt16(bits) : Vector256.Narrow(bits.GetLower(), bits.GetUpper());

    // Lanes whose exponent is all ones (±∞, NaN).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Exponent255(Vector512<uint> u) =>
        Vector512.Equals(u & Vector512.Create(0x7F80_0000u), Vector512.Create(0x7F80_0000u));

    /// <summary>
    /// Splits the first <paramref name="rows"/> rows (at most 32) of x [·, k] at <paramref name="x"/> (rows
    /// <paramref name="ldx"/> apart) into the block at <paramref name="block"/>, its rows past <paramref name="rows"/> and k
    /// past <paramref name="k"/> zero: the first <paramref name="pieces"/> pieces (3, or 2 for "high" precision), steps
    /// <see cref="StepValuesOf"/>(pieces) apart; 16 values at a time with <paramref name="vector"/> (AVX-512), else value
    /// by value: the same bits either way, and a piece's bits do not depend on how many are kept.
    /// </summary>
    public static void SplitRows(float* x, int ldx, int rows, int k, ushort* block, bool vector, int pieces = 3)
    {
        int chunks = Chunks(k), kp = chunks * Block, k16 = vector && Vector512.IsHardwareAccelerated ? k / 16 * 16 : 0;
        int stepValues = StepValuesOf(pieces);
        for (int r = 0; r < Block; r++)
        {
            float* row = x + (long)r * ldx;
            int t = 0;
            if (r < rows)
            {
                for (; t < k16; t += 16)
                {
                    Split16(Vector512.Load(row + t), out var p1, out var p2, out var p3);
                    ushort* at = block + XIndex(r, t, 0, stepValues); // piece s is Offset(s, 0) bytes further
                    Narrow16(p1).Store(at);
                    Narrow16(p2).Store(at + Offset(1, 0) / sizeof(ushort));
                    if (pieces > 2) Narrow16(p3).Store(at + Offset(2, 0) / sizeof(ushort));
                }
                for (; t < k; t++)
                {
                    float rest = row[t];
                    for (int s = 0; s < pieces; s++) block[XIndex(r, t, s, stepValues)] = Piece(ref rest);
                }
            }
            for (; t < kp; t++)
            {
                for (int s = 0; s < pieces; s++) block[XIndex(r, t, s, stepValues)] = 0;
            }
        }
    }

    /// <summary>
    /// One 32-deep chunk of a panel pair of W from k-major rows of 32 columns at <paramref name="rows"/> (32 rows,
    /// <paramref name="ld"/> apart) into its step at <paramref name="step"/>, its first <paramref name="pieces"/> pieces (3,
    /// or 2 for "high" precision: <see cref="StepValuesOf"/>): a row pair (k even, k odd) of 16 columns makes, per
    /// piece, 16 lanes whose low halves are the even k's pieces and high halves the odd k's, the tile's row of that k
    /// pair (<see cref="WIndex(int, int, int)"/>). 16 values at a time (<see cref="Split16"/>) with
    /// <paramref name="vector"/> (AVX-512), else value by value (<see cref="Piece"/>): the same bits either way.
    /// </summary>
    public static void SplitPair(float* rows, long ld, ushort* step, bool vector, int pieces = 3)
    {
        if (vector && Vector512.IsHardwareAccelerated)
        {
            for (int kp = 0; kp < Block / 2; kp++)
            for (int half = 0; half < 2; half++)
            {
                Split16(Vector512.Load(rows + 2 * kp * ld + 16 * half), out var e1, out var e2, out var e3);
                Split16(Vector512.Load(rows + (2 * kp + 1) * ld + 16 * half), out var o1, out var o2, out var o3);
                uint* at = (uint*)(step + WIndex(16 * half, 2 * kp, 0)); // piece s is Offset(s, 0) bytes further
                (e1 | Vector512.ShiftLeft(o1, 16)).Store(at);
                (e2 | Vector512.ShiftLeft(o2, 16)).Store(at + Offset(1, 0) / sizeof(uint));
                if (pieces > 2) (e3 | Vector512.ShiftLeft(o3, 16)).Store(at + Offset(2, 0) / sizeof(uint));
            }
            return;
        }
        for (int t = 0; t < Block; t++)
        for (int j = 0; j < Block; j++)
        {
            float rest = rows[t * ld + j];
            for (int piece = 0; piece < pieces; piece++) step[WIndex(j, t, piece)] = Piece(ref rest);
        }
    }
}
