using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// Codes of at most 16 centroids (4 bits) laid out for in-register table look-ups, the block layout of faiss's 4-bit fast
/// scan (faiss/impl/pq4_fast_scan.h at 02dbb4e4; our own arrangement): rows go in blocks of <see cref="BlockRows"/>, and
/// for each pair of subspaces (2p, 2p + 1) a block holds 64 bytes, row j's packed byte (c₂ₚ | c₂ₚ₊₁ ≪ 4) at
/// <see cref="Position"/>(j): rows 0–31 in the even bytes, rows 32–63 in the odd ones, so that after the look-ups the
/// low and high bytes of each 16-bit lane are two rows whose sums come out in row order. The tail of the last block is
/// padding. This is where <see cref="ProductCodes"/> holds 4-bit codes: ⌈M / 2⌉ bytes a row, read back one row at a
/// time by <see cref="Code"/> and <see cref="Score"/>. <see cref="Sums"/> gives a block's 64 byte sums Σₘ Q[m][cₘ]
/// (<see cref="FastScanTable"/>) with vpshufb (AVX-512BW: one look-up per 64 rows and subspace; AVX2: per 32) and a
/// scalar twin.
/// </summary>
internal sealed class FastScanBlocks
{
    /// <summary>Rows per block.</summary>
    internal const int BlockRows = 64;

    private readonly byte[] data; // [blocks, pairs, 64]
    private readonly int subspaces;

    private FastScanBlocks(byte[] data, int subspaces)
    {
        this.data = data;
        this.subspaces = subspaces;
        Pairs = (subspaces + 1) / 2;
    }

    /// <summary>Subspace pairs per block (⌈M / 2⌉; an odd M's last pair has 0 in its high nibbles).</summary>
    public int Pairs { get; }

    /// <summary>Bytes held.</summary>
    public long MemoryBytes => data.LongLength;

    /// <summary>Byte of row <paramref name="j"/> (0–63) within a pair's 64 bytes.</summary>
    internal static int Position(int j) => j < 32 ? 2 * j : 2 * (j - 32) + 1;

    /// <summary>Lays out <paramref name="rows"/> packed codes [rows × ⌈M / 2⌉] (<see cref="ProductCodes.Pack(ReadOnlySpan{byte}, int, int, Span{byte})"/>).</summary>
    public static FastScanBlocks Build(ReadOnlySpan<byte> packed, int rows, int subspaces)
    {
        int pairs = (subspaces + 1) / 2, blocks = (rows + BlockRows - 1) / BlockRows;
        var data = new byte[(long)blocks * pairs * 64];
        for (int r = 0; r < rows; r++)
        {
            var code = packed.Slice(r * pairs, pairs);
            var block = data.AsSpan(r / BlockRows * pairs * 64 + Position(r % BlockRows));
            for (int p = 0; p < pairs; p++) block[p * 64] = code[p];
        }
        return new FastScanBlocks(data, subspaces);
    }

    /// <summary>Block <paramref name="block"/>'s bytes [pairs × 64].</summary>
    public ReadOnlySpan<byte> Block(int block) => data.AsSpan(block * Pairs * 64, Pairs * 64);

    /// <summary>Row <paramref name="row"/>'s packed bytes [⌈M / 2⌉] into <paramref name="into"/>.</summary>
    public void Stored(int row, Span<byte> into)
    {
        var at = data.AsSpan(row / BlockRows * Pairs * 64 + Position(row % BlockRows));
        for (int p = 0; p < Pairs; p++) into[p] = at[p * 64];
    }

    /// <summary>Row <paramref name="row"/>'s M codes into <paramref name="into"/>.</summary>
    public void Code(int row, Span<byte> into)
    {
        var at = data.AsSpan(row / BlockRows * Pairs * 64 + Position(row % BlockRows));
        for (int m = 0; m < subspaces; m++) into[m] = (byte)(m % 2 == 0 ? at[m / 2 * 64] & 15 : at[m / 2 * 64] >> 4);
    }

    /// <summary>
    /// Row <paramref name="row"/>'s M codes into <paramref name="into"/> at m·<paramref name="stride"/> + <paramref name="lane"/>
    /// (a neighbour list's codes side by side, <see cref="NeighbourScores"/>).
    /// </summary>
    public void Gather(int row, int lane, int stride, Span<byte> into)
    {
        var at = data.AsSpan(row / BlockRows * Pairs * 64 + Position(row % BlockRows));
        for (int p = 0, m = 0; p < Pairs; p++, m += 2)
        {
            int v = at[p * 64];
            into[m * stride + lane] = (byte)(v & 15);
            if (m + 1 < subspaces) into[(m + 1) * stride + lane] = (byte)(v >> 4);
        }
    }

    /// <summary>Σₘ T[m·K + cₘ] of row <paramref name="row"/>, summed in subspace order (as <see cref="ProductQuantizer.Score"/>).</summary>
    public float Score(int row, ReadOnlySpan<float> table, int centroids)
    {
        var at = data.AsSpan(row / BlockRows * Pairs * 64 + Position(row % BlockRows));
        float s = 0;
        for (int m = 0; m < subspaces; m++)
        {
            int v = at[m / 2 * 64];
            s += table[m * centroids + (m % 2 == 0 ? v & 15 : v >> 4)];
        }
        return s;
    }

    /// <summary>
    /// The 64 rows' byte sums of <paramref name="block"/> into <paramref name="sums"/> in row order, looked up in
    /// <paramref name="lut"/> (<see cref="FastScanTable.Lut"/>); each 16-bit lane adds a row pair's bytes as one number,
    /// the high bytes are summed apart, and the low row's sum is the lane's total less 256 × the high one (exact mod 2¹⁶).
    /// </summary>
    public static void Sums(ReadOnlySpan<byte> block, int pairs, ReadOnlySpan<byte> lut, Span<ushort> sums) =>
        SumsWith(block, pairs, lut, sums, Avx512BW.IsSupported ? 512 : Avx2.IsSupported ? 256 : 0);

    /// <summary>The vector widths <see cref="Sums"/> can run with on this CPU (0: the scalar twin).</summary>
    internal static IEnumerable<int> Widths() => new[] { Avx512BW.IsSupported ? 512 : -1, Avx2.IsSupported ? 256 : -1, 0 }.Where(w => w >= 0);

    /// <summary><see cref="Sums"/> with 512-bit, 256-bit or no vectors (<paramref name="bits"/> 512, 256 or 0).</summary>
    internal static unsafe void SumsWith(ReadOnlySpan<byte> block, int pairs, ReadOnlySpan<byte> lut, Span<ushort> sums, int bits)
    {
        if (block.Length < pairs * 64 || lut.Length < pairs * 2 * FastScanTable.Stride || sums.Length < BlockRows)
            throw new ArgumentException("a block, a table or the sums are too short");
        fixed (byte* b = block)
        fixed (byte* t = lut)
        fixed (ushort* s = sums)
        {
            if (bits == 512) Sums512(b, pairs, t, s);
            else if (bits == 256) Sums256(b, pairs, t, s);
            else SumsScalar(block, pairs, lut, sums);
        }
    }

    private static unsafe void Sums512(byte* block, int pairs, byte* lut, ushort* sums)
    {
        var nibble = Vector512.Create((byte)0x0F);
        Vector512<ushort> total = default, high = default;
        for (int p = 0; p < pairs; p++, block += 64, lut += 2 * FastScanTable.Stride)
        {
            var codes = Vector512.Load(block);
            var a = Avx512BW.Shuffle(Vector512.Load(lut), codes & nibble).AsUInt16();
            var b = Avx512BW.Shuffle(Vector512.Load(lut + FastScanTable.Stride), Vector512.ShiftRightLogical(codes.AsUInt16(), 4).AsByte() & nibble).AsUInt16();
            total += a + b;
            high += Vector512.ShiftRightLogical(a, 8) + Vector512.ShiftRightLogical(b, 8);
        }
        (total - Vector512.ShiftLeft(high, 8)).Store(sums); // rows 0–31
        high.Store(sums + 32);                               // rows 32–63
    }

    private static unsafe void Sums256(byte* block, int pairs, byte* lut, ushort* sums)
    {
        var nibble = Vector256.Create((byte)0x0F);
        for (int half = 0; half < 2; half++)
        {
            Vector256<ushort> total = default, high = default;
            byte* c = block + 32 * half, t = lut;
            for (int p = 0; p < pairs; p++, c += 64, t += 2 * FastScanTable.Stride)
            {
                var codes = Vector256.Load(c);
                var a = Avx2.Shuffle(Vector256.Load(t), codes & nibble).AsUInt16();
                var b = Avx2.Shuffle(Vector256.Load(t + FastScanTable.Stride), Vector256.ShiftRightLogical(codes.AsUInt16(), 4).AsByte() & nibble).AsUInt16();
                total += a + b;
                high += Vector256.ShiftRightLogical(a, 8) + Vector256.ShiftRightLogical(b, 8);
            }
            (total - Vector256.ShiftLeft(high, 8)).Store(sums + 16 * half);
            high.Store(sums + 32 + 16 * half);
        }
    }

    /// <summary>The scalar twin of <see cref="Sums"/>.</summary>
    internal static void SumsScalar(ReadOnlySpan<byte> block, int pairs, ReadOnlySpan<byte> lut, Span<ushort> sums)
    {
        for (int j = 0; j < BlockRows; j++)
        {
            int at = Position(j), s = 0;
            for (int p = 0; p < pairs; p++)
            {
                byte v = block[p * 64 + at];
                s += lut[2 * p * FastScanTable.Stride + (v & 15)] + lut[(2 * p + 1) * FastScanTable.Stride + (v >> 4)];
            }
            sums[j] = (ushort)s;
        }
    }
}
