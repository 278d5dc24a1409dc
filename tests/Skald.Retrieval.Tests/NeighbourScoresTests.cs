using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A graph walk's neighbour lists scored against PQ codes in one call (<see cref="NeighbourScores"/>, gathered eight rows
/// side by side): the scores equal, bit for bit, each row's own Σₘ T[m·K + cₘ] in subspace order (computed here from the
/// unpacked codes, <see cref="ProductQuantizer.Score"/>) for every stored width, and a walk over codes finds the same hits
/// with the same scores as the row-by-row walk.
/// </summary>
public sealed class NeighbourScoresTests
{
    private static readonly int[] ListLengths = [0, 1, 7, 8, 9, 16, 23, 32];

    [Theory]
    [InlineData(1, 2, 5)]
    [InlineData(2, 4, 8)]
    [InlineData(3, 8, 3)]
    [InlineData(4, 12, 7)]  // 12 centroids (few training rows): nibbles, looked up by the gather
    [InlineData(4, 16, 1)]
    [InlineData(4, 16, 13)] // 16 centroids: in-register look-ups, an odd M's last nibble
    [InlineData(4, 16, 48)]
    [InlineData(5, 32, 3)]
    [InlineData(6, 64, 13)]
    [InlineData(6, 64, 48)]
    [InlineData(7, 128, 21)]
    [InlineData(8, 256, 16)]
    [InlineData(8, 200, 9)]
    public void GatheredListsScoreAsEachRowsCodes(int bits, int centroids, int m)
    {
        var random = new Random(bits * 1000 + centroids * 10 + m);
        const int Rows = 70; // more than a 4-bit block, so the block layout has a second block
        var codes = new byte[Rows * m];
        for (int i = 0; i < codes.Length; i++) codes[i] = (byte)random.Next(centroids);
        var stored = new byte[Rows * PackedCodes.RowBytes(m, Math.Max(4, bits))];
        ProductCodes.Pack(codes, Rows, m, Math.Max(4, bits), stored);
        var pq = new ProductQuantizer(m, m, centroids, [.. Enumerable.Range(0, m * centroids).Select(_ => (float)random.NextDouble())]);
        var product = new ProductCodes(pq, Rows, stored, residual: false);
        Assert.Equal(Math.Max(4, bits), product.Bits);
        var table = new float[m * centroids];
        for (int i = 0; i < table.Length; i++) table[i] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-3, 3)));
        var scratch = new byte[NeighbourScores.ScratchBytes(m)];
        foreach (bool blocks in bits <= 4 ? new[] { false, true } : [false])
        {
            if (blocks) product.Blocks(); // the 4-bit codes moved into the fast scan's layout
            foreach (int length in ListLengths)
            {
                // Random rows, repeats allowed, the last row always in (its 64-bit loads would pass the end).
                int[] rows = [.. Enumerable.Range(0, length).Select(i => i == length / 2 ? Rows - 1 : random.Next(Rows))];
                var scores = new float[length];
                NeighbourScores.Score(product, rows, table, scratch, scores);
                var scalar = new float[length];
                NeighbourScores.ScoreScalar(product, rows, table, scalar);
                for (int i = 0; i < length; i++)
                {
                    float expected = ProductQuantizer.Score(codes.AsSpan(rows[i] * m, m), table, centroids);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(scores[i]),
                        $"{bits} bits, K {centroids}, M {m}, blocks {blocks}, list of {length}, lane {i}: {scores[i]:R} for {expected:R}");
                    Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(scalar[i]));
                }
            }
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(8)]
    public void AWalkOverCodesFindsTheRowByRowWalksHits(int bits)
    {
        var random = new Random(bits);
        const int Rows = 1500, Dim = 32;
        var centres = Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, Dim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        float[] Near(float[] c) => [.. c.Select(v => v + (float)(random.NextDouble() - 0.5) * 0.6f)];
        var rows = Enumerable.Range(0, Rows).Select(r => Near(centres[r % centres.Length])).ToArray();
        var queries = Enumerable.Range(0, 12).Select(q => Near(centres[(q * 7) % centres.Length])).ToList();
        var graph = HnswGraph.Build(Rows, r => rows[r], new HnswOptions { M = 8, EfConstruction = 40, Threads = 1 });
        var pq = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 8, Bits = bits });
        var codes = ProductCodes.Encode(pq, rows);
        foreach (int ef in new[] { 10, 64 })
        {
            var gathered = HnswSearch.TopK(queries, graph, codes, 10, ef, 0, null, null, null, gathered: true);
            var single = HnswSearch.TopK(queries, graph, codes, 10, ef, 0, null, null, null, gathered: false);
            for (int q = 0; q < queries.Count; q++)
            {
                Assert.Equal(10, single[q].Length);
                Assert.Equal(single[q].Select(h => (h.Index, BitConverter.SingleToInt32Bits(h.Score))), gathered[q].Select(h => (h.Index, BitConverter.SingleToInt32Bits(h.Score))));
            }
        }
    }

    /// <summary>
    /// A warm graph walks a second product-quantized query without allocating its table of centroid products or its
    /// gather scratch (both were new arrays on every query): what it allocates is less than the table alone, the hits
    /// it returns and their heap. Not timed.
    /// </summary>
    [Fact]
    public void ASecondWalkOverCodesAllocatesNoTableOrScratch()
    {
        var random = new Random(3);
        const int Rows = 600, Dim = 32;
        var rows = Enumerable.Range(0, Rows).Select(_ => Enumerable.Range(0, Dim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var graph = HnswGraph.Build(Rows, r => rows[r], new HnswOptions { M = 8, EfConstruction = 40, Threads = 1 });
        var pq = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 8, Bits = 8 });
        var codes = ProductCodes.Encode(pq, rows);
        float[][] query = [rows[5]];
        HnswSearch.TopK(query, graph, codes, 5, 32, 0); // warm: the walker's marks, queues, table and scratch grown
        long before = GC.GetAllocatedBytesForCurrentThread();
        var hits = HnswSearch.TopK(query, graph, codes, 5, 32, 0);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(5, hits[0].Length);
        int table = pq.Subspaces * pq.Centroids * sizeof(float); // 8 KB; the hits, their heap and the result about 700 bytes
        Assert.True(allocated < table, $"{allocated} bytes for a query of 5 hits (the table alone is {table})");
    }
}
