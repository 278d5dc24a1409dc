using System.Runtime.Intrinsics;
using Skald.Retrieval.Search;
using Skald.Tensors.Quantization;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// The first stage of <see cref="QuantizedSearch"/> for many queries over int8 / uint8 levels on AVX(512)-VNNI: the integer
/// dot products of a stripe of corpus rows with all queries by <see cref="Int8Products"/> (u8 · s8 summed exactly in
/// int32, 32 products an instruction), one block of <see cref="BlockRows"/> rows packed at a time, instead of the levels
/// as floats through the float GEMM. vpdpbusd multiplies unsigned by signed bytes, so one side moves by 128 and the sums
/// are corrected exactly:
/// <list type="bullet">
/// <item>int8 (signed levels q, c): the queries become q + 128 (their top bit flipped), the corpus stays c; Σ (q + 128)·c
/// = q·c + 128·Σc, and Σc comes from one more query row of ones.</item>
/// <item>uint8 (unsigned levels): the queries stay q, the corpus becomes c − 128; Σ q·(c − 128) = q·c − 128·Σq, Σq once
/// per query.</item>
/// </list>
/// The scores are the same integers as <see cref="QuantizedSearch.Score"/>'s, converted to float the same way, offered
/// to the same heaps, so the hits equal the per-query scan's, ties included.
/// </summary>
internal static unsafe class IntegerLevelSearch
{
    /// <summary>Corpus rows packed at once: 4 panels of 16 (24 KB at 384 dimensions, in L1 beside an 8-query tile).</summary>
    private const int BlockRows = 64;

    /// <summary>
    /// Whether this search runs here: AVX-VNNI or AVX512-VNNI, int8 / uint8 levels, and sums that fit int32 (int8: the shifted products,
    /// up to 255 · 128 a dimension; uint8: the score itself, up to 255 · 255 a dimension).
    /// </summary>
    public static bool Applicable(EmbeddingPrecision precision, int dimension) => Int8Products.Accelerated && precision switch
    {
        EmbeddingPrecision.Int8 => dimension <= 65_793,
        EmbeddingPrecision.Uint8 => dimension <= 33_025,
        _ => false,
    };

    /// <summary>The best <paramref name="k"/> rows of <paramref name="corpus"/> per quantized query, best first.</summary>
    public static Hit[][] TopK(QuantizedEmbeddings queries, QuantizedEmbeddings corpus, int k, IReadOnlyList<int>? tieKeys)
    {
        int nq = queries.Rows, dim = corpus.Dimension, depth = Int8Products.PaddedDepth(dim);
        bool signed = corpus.Precision == EmbeddingPrecision.Int8;
        // a: the queries as unsigned codes (int8: + 128), then, for int8, a row of ones whose products are Σc.
        int m = signed ? nq + 1 : nq;
        var a = GC.AllocateArray<byte>(Int8Products.PaddedRows(m) * depth, pinned: true);
        var offsets = new int[nq];
        for (int i = 0; i < nq; i++)
        {
            var q = queries.Row(i);
            var row = a.AsSpan(i * depth, dim);
            int sum = 0;
            for (int d = 0; d < dim; d++)
            {
                row[d] = signed ? (byte)(q[d] ^ 0x80) : q[d];
                sum += q[d];
            }
            offsets[i] = signed ? 0 : 128 * sum;
        }
        if (signed) a.AsSpan(nq * depth, dim).Fill(1);
        byte[] data = corpus.Data;
        int rowBytes = corpus.RowBytes;
        return QuantizedSearch.Striped(nq, corpus.Rows, k, () => new Scratch(m, dim), (s, r0, r1, heaps) =>
        {
            for (int b0 = r0; b0 < r1; b0 += BlockRows)
            {
                int count = Math.Min(BlockRows, r1 - b0);
                Int8Products.Pack(data.AsSpan((int)((long)b0 * rowBytes), count * rowBytes), count, dim, rowBytes, !signed, s.Packed);
                Int8Products.Multiply(a, m, depth, s.Packed, count, dim, s.Products, BlockRows);
                Offer(s.Products, nq, count, b0, signed, offsets, heaps, tieKeys);
            }
        });
    }

    /// <summary>
    /// Each query's scores for a block of <paramref name="count"/> rows starting at <paramref name="row0"/> (products
    /// [nq (+1), <see cref="BlockRows"/>], corrected as the type's summary says) offered to its heap; 8 at a time compared
    /// with the heap's threshold first, so most never reach <see cref="TopKHeap.Add"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Offer(int[] products, int nq, int count, int row0, bool signed, int[] offsets, TopKHeap[] heaps,
        IReadOnlyList<int>? tieKeys)
    {
        fixed (int* pc = products)
        {
            int* sums = pc + nq * BlockRows; // int8: the row of ones' products, Σc per corpus row
            for (int i = 0; i < nq; i++)
            {
                int* ci = pc + i * BlockRows;
                var heap = heaps[i];
                int j = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    var offset = Vector256.Create(offsets[i]);
                    for (; j + 8 <= count; j += 8)
                    {
                        var v = Vector256.Load(ci + j);
                        v = signed ? v - Vector256.ShiftLeft(Vector256.Load(sums + j), 7) : v + offset;
                        var f = Vector256.ConvertToSingle(v);
                        uint hits = Vector256.GreaterThanOrEqual(f, Vector256.Create(heap.Threshold)).ExtractMostSignificantBits();
                        while (hits != 0)
                        {
                            int lane = System.Numerics.BitOperations.TrailingZeroCount(hits);
                            hits &= hits - 1;
                            int row = row0 + j + lane;
                            heap.Add(row, f.GetElement(lane), tieKeys is null ? -row : tieKeys[row]);
                        }
                    }
                }
                for (; j < count; j++)
                {
                    float score = signed ? ci[j] - 128 * sums[j] : ci[j] + offsets[i];
                    if (score < heap.Threshold) continue;
                    int row = row0 + j;
                    heap.Add(row, score, tieKeys is null ? -row : tieKeys[row]);
                }
            }
        }
    }

    /// <summary>A worker's buffers: one packed block of corpus rows and its products with every query.</summary>
    private sealed class Scratch(int m, int dim)
    {
        public readonly sbyte[] Packed = new sbyte[Int8Products.PackedLength(BlockRows, dim)];
        public readonly int[] Products = new int[m * BlockRows];
    }
}
