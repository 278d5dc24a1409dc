using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// A graph walk's scoring of one node's neighbour list against product-quantized codes, in one call (the HNSW walk's
/// <c>ProductScorer</c>). 4-bit codes (at most 16 centroids), eight rows side by side: the codes as stored are gathered by
/// AVX2 gathers of each row's next four bytes (eight codes a lane); codes in the fast scan's blocks, and rows whose
/// four-byte reads would pass the end of the codes, go through <see cref="ProductCodes.Gather"/> into scratch [M × 8].
/// Each subspace's eight table entries are then looked up at once, in registers for 16 centroids (two <c>vpermps</c> over
/// the subspace's 16 floats and a blend on the code's bit 3), by an AVX2 gather for fewer, and added to eight running
/// sums. Codes of 5–8 bits go four rows side by side through <see cref="PackedCodes.ScoreListed"/> (a 64-bit load per
/// eight codes, scalar look-ups: AVX2 gathers of table entries measured slower). Each row's entries are added in
/// subspace order from 0, as <see cref="ProductCodes.Score"/> adds them, so the scores are its bits exactly;
/// <see cref="ScoreScalar"/> is the twin that scores row by row (and the 4-bit path without AVX2).
/// </summary>
internal static class NeighbourScores
{
    /// <summary>Rows scored side by side.</summary>
    internal const int Lanes = 8;

    /// <summary>Scratch bytes <see cref="Score"/> needs for codes of <paramref name="subspaces"/> sub-vectors.</summary>
    public static int ScratchBytes(int subspaces) => subspaces * Lanes;

    /// <summary>
    /// The scores of <paramref name="rows"/> of <paramref name="codes"/> from a query's table [M × K] into
    /// <paramref name="scores"/>, bit for bit <see cref="ProductCodes.Score"/>'s; <paramref name="scratch"/> holds at
    /// least <see cref="ScratchBytes"/>.
    /// </summary>
    public static void Score(ProductCodes codes, ReadOnlySpan<int> rows, ReadOnlySpan<float> table, Span<byte> scratch, Span<float> scores)
    {
        if (codes.Bits > 4)
            PackedCodes.ScoreListed(codes.Stored, codes.Quantizer.Subspaces, codes.Bits, table, codes.Quantizer.Centroids, rows, scores);
        else if (Avx2.IsSupported) ScoreAvx2(codes, rows, table, scratch, scores);
        else ScoreScalar(codes, rows, table, scores);
    }

    /// <summary>The scalar twin of <see cref="Score"/>: row by row, <see cref="ProductCodes.Score"/>.</summary>
    public static void ScoreScalar(ProductCodes codes, ReadOnlySpan<int> rows, ReadOnlySpan<float> table, Span<float> scores)
    {
        for (int i = 0; i < rows.Length; i++) scores[i] = codes.Score(rows[i], table);
    }

    /// <summary><see cref="Score"/> with AVX2 (callers check <see cref="Avx2.IsSupported"/>).</summary>
    internal static unsafe void ScoreAvx2(ProductCodes codes, ReadOnlySpan<int> rows, ReadOnlySpan<float> table, Span<byte> scratch, Span<float> scores)
    {
        int m = codes.Quantizer.Subspaces, k = codes.Quantizer.Centroids;
        if (table.Length < m * k || scratch.Length < m * Lanes || scores.Length < rows.Length)
            throw new ArgumentException("a table, the scratch or the scores are too short");
        // 4-bit codes as stored are read straight from their rows, four bytes (eight codes) a lane per gather.
        byte[]? stored = codes.Bits == 4 ? codes.Stored : null;
        int width = ProductCodes.CodeBytes(codes.Quantizer), words = (width + 3) / 4;
        Span<int> offsets = stackalloc int[Lanes];
        fixed (float* t = table)
        fixed (byte* s = scratch)
        fixed (float* into = scores)
        fixed (byte* c = stored)
        {
            for (int at = 0; at < rows.Length; at += Lanes)
            {
                int lanes = Math.Min(Lanes, rows.Length - at), last = 0;
                offsets.Clear(); // lanes past the list read row 0, never stored
                for (int j = 0; j < lanes; j++)
                {
                    if ((uint)rows[at + j] >= (uint)codes.Rows) throw new ArgumentOutOfRangeException(nameof(rows), rows[at + j], "no such row");
                    last = Math.Max(last, offsets[j] = rows[at + j] * width);
                }
                Vector256<float> sum;
                if (stored is not null && (long)last + 4 * words <= stored.Length)
                {
                    var from = Vector256.Create<int>(offsets);
                    sum = Nibbles(c, from, words, m, k, t);
                }
                else
                {
                    if (lanes < Lanes) scratch[..(m * Lanes)].Clear(); // lanes past the list look up code 0, never stored
                    for (int j = 0; j < lanes; j++) codes.Gather(rows[at + j], j, scratch);
                    sum = Gathered(s, m, k, t);
                }
                if (lanes == Lanes) sum.Store(into + at);
                else for (int j = 0; j < lanes; j++) into[at + j] = sum.GetElement(j);
            }
        }
    }

    /// <summary>Eight rows' sums from codes gathered into scratch [M × 8] (<see cref="ProductCodes.Gather"/>).</summary>
    private static unsafe Vector256<float> Gathered(byte* s, int m, int k, float* t)
    {
        var sum = Vector256<float>.Zero;
        if (k == 16)
        {
            for (int i = 0; i < m; i++, t += 16) sum = Avx.Add(sum, Look16(t, Avx2.ConvertToVector256Int32(s + i * Lanes)));
            return sum;
        }
        var step = Vector256.Create(k);
        var offset = Vector256<int>.Zero;
        for (int i = 0; i < m; i++, offset = Avx2.Add(offset, step))
            sum = Avx.Add(sum, Avx2.GatherVector256(t, Avx2.Add(Avx2.ConvertToVector256Int32(s + i * Lanes), offset), 4));
        return sum;
    }

    /// <summary>Eight rows' sums from 4-bit codes as stored (<paramref name="from"/>: each row's first byte), eight codes a gather.</summary>
    private static unsafe Vector256<float> Nibbles(byte* c, Vector256<int> from, int words, int m, int k, float* t)
    {
        var sum = Vector256<float>.Zero;
        var nibble = Vector256.Create(15);
        var step = Vector256.Create(k);
        var offset = Vector256<int>.Zero;
        for (int w = 0, i = 0; w < words; w++, from = Avx2.Add(from, Vector256.Create(4)))
        {
            var v = Avx2.GatherVector256((int*)c, from, 1);
            for (int j = 0; j < 8 && i < m; j++, i++, v = Avx2.ShiftRightLogical(v, 4))
            {
                var code = Avx2.And(v, nibble);
                if (k == 16) sum = Avx.Add(sum, Look16(t + 16 * i, code));
                else
                {
                    sum = Avx.Add(sum, Avx2.GatherVector256(t, Avx2.Add(code, offset), 4));
                    offset = Avx2.Add(offset, step);
                }
            }
        }
        return sum;
    }

    /// <summary>T[code] of a subspace's 16 entries at <paramref name="t"/>, for eight codes: two in-register look-ups and a blend on bit 3.</summary>
    private static unsafe Vector256<float> Look16(float* t, Vector256<int> code)
    {
        var low = Avx2.PermuteVar8x32(Avx.LoadVector256(t), code);
        var high = Avx2.PermuteVar8x32(Avx.LoadVector256(t + 8), code);
        return Avx.BlendVariable(low, high, Avx2.ShiftLeftLogical(code, 28).AsSingle());
    }
}
