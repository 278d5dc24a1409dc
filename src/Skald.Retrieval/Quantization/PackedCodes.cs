using System.Buffers.Binary;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// Product-quantization codes of b bits (1–8) packed bitwise, as faiss packs them (<c>PQEncoderGeneric</c> /
/// <c>PQDecoderGeneric</c> in faiss/impl/ProductQuantizer-inl.h at
/// https://github.com/facebookresearch/faiss/blob/696820bf88508e6cb622c6d811f01aa294bb1521/faiss/impl/ProductQuantizer-inl.h,
/// <c>code_size = (nbits·M + 7) / 8</c> in ProductQuantizer.cpp): a row's M codes form one little-endian bit stream,
/// code m in bits [m·b, (m + 1)·b), its lowest bit first, each row padded with zero bits to a whole byte. At b = 4 this is
/// the nibble order <see cref="ProductCodes.Pack(ReadOnlySpan{byte}, int, int, Span{byte})"/> writes. Eight codes of b
/// bits fill exactly b bytes, so <see cref="ScoreRows"/> reads each group of eight with one 64-bit load;
/// <see cref="Score"/> is its scalar twin, reading code by code.
/// </summary>
internal static class PackedCodes
{
    /// <summary>Bytes a row of <paramref name="subspaces"/> codes of <paramref name="bits"/> takes: ⌈M·b / 8⌉.</summary>
    public static int RowBytes(int subspaces, int bits) => (subspaces * bits + 7) / 8;

    /// <summary>
    /// <paramref name="rows"/> codes of a byte each [rows × M] (each below 2^<paramref name="bits"/>) packed into
    /// <paramref name="into"/> [rows × <see cref="RowBytes"/>].
    /// </summary>
    public static void Pack(ReadOnlySpan<byte> codes, int rows, int subspaces, int bits, Span<byte> into)
    {
        int width = RowBytes(subspaces, bits);
        for (int r = 0; r < rows; r++)
        {
            var code = codes.Slice(r * subspaces, subspaces);
            var row = into.Slice(r * width, width);
            row.Clear();
            for (int m = 0, at = 0; m < subspaces; m++, at += bits)
            {
                int value = code[m] << (at & 7); // at most 15 bits: spills into the next byte at most
                row[at >> 3] |= (byte)value;
                if ((at & 7) + bits > 8) row[(at >> 3) + 1] |= (byte)(value >> 8);
            }
        }
    }

    /// <summary>Code <paramref name="m"/> of one packed row.</summary>
    public static int Code(ReadOnlySpan<byte> row, int m, int bits)
    {
        int at = m * bits, first = at >> 3;
        int pair = row[first] | (first + 1 < row.Length ? row[first + 1] << 8 : 0);
        return (pair >> (at & 7)) & ((1 << bits) - 1);
    }

    /// <summary>One packed row's M codes into <paramref name="into"/>, a byte each.</summary>
    public static void Unpack(ReadOnlySpan<byte> row, int subspaces, int bits, Span<byte> into)
    {
        for (int m = 0; m < subspaces; m++) into[m] = (byte)Code(row, m, bits);
    }

    /// <summary>
    /// The M codes of the packed row at byte <paramref name="start"/> of <paramref name="data"/> into
    /// <paramref name="into"/> at m·<paramref name="stride"/> + <paramref name="lane"/>: eight codes (b bytes) a 64-bit
    /// load, the last group code by code when its load would pass the end of <paramref name="data"/>.
    /// </summary>
    public static void Gather(ReadOnlySpan<byte> data, int start, int subspaces, int bits, int lane, int stride, Span<byte> into)
    {
        int width = RowBytes(subspaces, bits);
        var row = data.Slice(start, width);
        ulong mask = (1UL << bits) - 1;
        int m = 0;
        for (int at = 0; m < subspaces && start + at + 8 <= data.Length; at += bits)
        {
            ulong v = BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(start + at, 8));
            for (int j = 0; j < 8 && m < subspaces; j++, m++, v >>= bits) into[m * stride + lane] = (byte)(v & mask);
        }
        for (; m < subspaces; m++) into[m * stride + lane] = (byte)Code(row, m, bits);
    }

    /// <summary>
    /// q · x̂ of one packed row from a query's table [M × K]: Σₘ T[m·K + cₘ] in subspace order, code by code (the scalar
    /// twin of <see cref="ScoreRows"/>, and the score <see cref="ProductQuantizer.Score"/> gives the unpacked code).
    /// </summary>
    public static float Score(ReadOnlySpan<byte> row, int subspaces, int bits, ReadOnlySpan<float> table, int centroids)
    {
        float s = 0;
        for (int m = 0; m < subspaces; m++) s += table[m * centroids + Code(row, m, bits)];
        return s;
    }

    /// <summary>
    /// Scores of rows [<paramref name="r0"/>, r0 + scores.Length) of <paramref name="data"/> [rows × RowBytes] into
    /// <paramref name="scores"/>, bit for bit <see cref="Score"/>'s: four rows side by side (<see cref="ScoreFour"/>), each
    /// group of eight codes read by one 64-bit load (b bytes of it used); a row whose load would pass the end of
    /// <paramref name="data"/> goes through <see cref="Score"/>.
    /// </summary>
    public static unsafe void ScoreRows(ReadOnlySpan<byte> data, int subspaces, int bits, ReadOnlySpan<float> table, int centroids,
        int r0, Span<float> scores)
    {
        int width = RowBytes(subspaces, bits), count = scores.Length;
        int fast = (int)Math.Clamp(SafeRows(data.Length, width) - r0, 0, count) & ~3;
        fixed (byte* d = data)
        fixed (float* t = table)
        fixed (float* into = scores)
        {
            for (int i = 0; i < fast; i += 4)
            {
                byte* c0 = d + (long)(r0 + i) * width;
                ScoreFour(c0, c0 + width, c0 + 2 * width, c0 + 3 * width, subspaces, bits, t, centroids, into + i);
            }
        }
        for (int i = fast; i < count; i++)
            scores[i] = Score(data.Slice((r0 + i) * width, width), subspaces, bits, table, centroids);
    }

    /// <summary>
    /// Scores of the listed <paramref name="rows"/> of <paramref name="data"/> [rows × RowBytes] into
    /// <paramref name="scores"/> (a graph node's neighbours), bit for bit <see cref="Score"/>'s: four rows side by side as
    /// <see cref="ScoreRows"/>; at 8 bits, a byte a code, the same loads read eight codes each.
    /// </summary>
    public static unsafe void ScoreListed(ReadOnlySpan<byte> data, int subspaces, int bits, ReadOnlySpan<float> table, int centroids,
        ReadOnlySpan<int> rows, Span<float> scores)
    {
        if (table.Length < subspaces * centroids || scores.Length < rows.Length) throw new ArgumentException("a table or the scores are too short");
        int width = RowBytes(subspaces, bits);
        long safe = SafeRows(data.Length, width);
        int i = 0;
        fixed (byte* d = data)
        fixed (float* t = table)
        fixed (float* into = scores)
        {
            for (; i + 4 <= rows.Length; i += 4)
            {
                int r0 = rows[i], r1 = rows[i + 1], r2 = rows[i + 2], r3 = rows[i + 3];
                if (Math.Max(Math.Max((uint)r0, (uint)r1), Math.Max((uint)r2, (uint)r3)) >= safe) break; // the rest row by row (and checked)
                ScoreFour(d + (long)r0 * width, d + (long)r1 * width, d + (long)r2 * width, d + (long)r3 * width, subspaces, bits, t, centroids, into + i);
            }
        }
        for (; i < rows.Length; i++) scores[i] = Score(data.Slice(rows[i] * width, width), subspaces, bits, table, centroids);
    }

    /// <summary>Rows of <paramref name="width"/> bytes whose every 8-byte load stays inside <paramref name="length"/> bytes (the last group starts at most width − 1 bytes in).</summary>
    private static long SafeRows(long length, int width)
    {
        long room = length - 7L - width;
        return room < 0 ? 0 : room / width + 1;
    }

    /// <summary>The four rows' Σₘ T[m·K + cₘ] into <paramref name="into"/>[0..3], each in subspace order from 0.</summary>
    private static unsafe void ScoreFour(byte* c0, byte* c1, byte* c2, byte* c3, int subspaces, int bits, float* t, int centroids, float* into)
    {
        ulong mask = (1UL << bits) - 1;
        int groups = subspaces / 8, tail = subspaces % 8;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        float* tm = t;
        for (int g = 0; g <= groups; g++)
        {
            int codes = g < groups ? 8 : tail, at = g * bits;
            if (codes == 0) break;
            ulong v0 = Load(c0 + at), v1 = Load(c1 + at), v2 = Load(c2 + at), v3 = Load(c3 + at);
            for (int j = 0; j < codes; j++, tm += centroids)
            {
                s0 += tm[(int)(v0 & mask)];
                s1 += tm[(int)(v1 & mask)];
                s2 += tm[(int)(v2 & mask)];
                s3 += tm[(int)(v3 & mask)];
                v0 >>= bits;
                v1 >>= bits;
                v2 >>= bits;
                v3 >>= bits;
            }
        }
        into[0] = s0;
        into[1] = s1;
        into[2] = s2;
        into[3] = s3;
    }

    private static unsafe ulong Load(byte* at) => BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(at, 8));
}
