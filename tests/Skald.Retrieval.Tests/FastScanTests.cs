using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// The 4-bit fast scan: block sums (vpshufb paths and the scalar twin) against the byte table looked up row by row from
/// the row-major codes, the byte table's error bound against the float table, and searches through the blocks against
/// scoring every code from the float table.
/// </summary>
public sealed class FastScanTests
{
    [Theory]
    [InlineData(1, 16, 150)]
    [InlineData(7, 11, 64)]
    [InlineData(48, 16, 1000)]
    [InlineData(257, 16, 70)]
    public void BlockSumsEqualTheByteTableLookedUpRowByRow(int m, int k, int rows)
    {
        var random = new Random(m * 31 + rows);
        var table = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var fast = FastScanTable.Quantize(table, m, k)!;
        var (codes, raw) = RandomCodes(random, m, k, rows);
        var blocks = codes.Blocks();
        var sums = new ushort[64];
        for (int start = 0; start < rows; start += 64)
        {
            var block = blocks.Block(start / 64);
            foreach (int width in FastScanBlocks.Widths())
            {
                FastScanBlocks.SumsWith(block, blocks.Pairs, fast.Lut, sums, width);
                for (int j = 0; j < Math.Min(64, rows - start); j++)
                {
                    int expected = 0;
                    for (int s = 0; s < m; s++) expected += fast.Lut[s * FastScanTable.Stride + raw[(start + j) * m + s]];
                    Assert.True(expected == sums[j], $"{width}-bit sums, row {start + j}: {sums[j]} for {expected}");
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(7, 8)]
    [InlineData(48, 16)]
    public void FourBitCodesAreHeldTwoToAByteAndReadBackAsGiven(int m, int k)
    {
        var random = new Random(m);
        var (codes, raw) = RandomCodes(random, m, k, 131);
        Assert.True(codes.Packed);
        var table = Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble()).ToArray();
        // As stored (what a graph's walk reads), then moved into blocks by the first fast scan: the same codes and scores.
        foreach (long held in new[] { 131L * ((m + 1) / 2), 3L * ((m + 1) / 2) * 64 }) // rows × ⌈M / 2⌉, then 3 blocks of 64 rows
        {
            Assert.Equal(held, codes.MemoryBytes);
            Assert.Equal(ProductQuantizerTests.PackedByHand([.. raw.Select(c => (int)c)], m), codes.ToStored());
            Assert.Equal(raw, ProductQuantizerTests.AllCodes(codes));
            for (int r = 0; r < 131; r++) Assert.Equal(ProductQuantizer.Score(raw.AsSpan(r * m, m), table, k), codes.Score(r, table));
            codes.Blocks();
        }

        var quantizer = codes.Quantizer;
        var stored = codes.ToStored();
        if (k < 16)
        {
            var bad = (byte[])stored.Clone();
            bad[5 * ((m + 1) / 2)] = (byte)(bad[5 * ((m + 1) / 2)] & 0xF0 | k); // row 5's first code names centroid K
            Assert.Contains("at row 5", Assert.Throws<ArgumentException>(() => new ProductCodes(quantizer, 131, bad, false)).Message);
        }
        if (m % 2 == 1)
        {
            var bad = (byte[])stored.Clone();
            bad[3 * ((m + 1) / 2) + m / 2] |= 0x10; // a nibble after row 3's last code
            Assert.Contains("at row 3", Assert.Throws<ArgumentException>(() => new ProductCodes(quantizer, 131, bad, false)).Message);
        }
    }

    [Fact]
    public void SixteenBitSumsDoNotOverflowAtTheLargestSubspaceCount()
    {
        // 257 subspaces whose every entry but one rounds to 255: the sums reach 65,535 - 255 + 0 and 65,535 exactly.
        const int m = 257, k = 2;
        var table = new float[m * k];
        for (int s = 0; s < m; s++) table[s * k + 1] = 1f;
        var fast = FastScanTable.Quantize(table, m, k)!;
        var raw = new byte[3 * m];
        raw.AsSpan(0, m).Fill(1);          // every subspace's 255
        raw.AsSpan(m, m).Fill(1);
        raw[m] = 0;                        // one 0
        var codes = Packed(m, k, raw, 3);
        var sums = new ushort[64];
        foreach (int width in FastScanBlocks.Widths())
        {
            FastScanBlocks.SumsWith(codes.Blocks().Block(0), codes.Blocks().Pairs, fast.Lut, sums, width);
            Assert.Equal([65_535, 65_280, 0], sums[..3].Select(s => (int)s));
        }
    }

    [Fact]
    public void TheByteTableBoundsEveryCodesFloatScore()
    {
        var random = new Random(4);
        foreach (var (m, k, common) in new[] { (8, 16, 0.0), (48, 16, 0.0), (5, 3, 0.0), (256, 16, 1000.0), (256, 16, -3.0) })
        {
            // common: a large shared value per entry and a tiny spread, where float rounding of the sums outweighs the bytes' steps.
            double spread = common == 0 ? 1 : 1e-3;
            var table = Enumerable.Range(0, m * k).Select(i => (float)(common + spread * (random.NextDouble() * (1 + i % 3) - 0.4))).ToArray();
            var fast = FastScanTable.Quantize(table, m, k)!;
            var widest = Enumerable.Range(0, m).MaxBy(s => table.Skip(s * k).Take(k).Max() - table.Skip(s * k).Take(k).Min());
            Assert.Contains((byte)255, fast.Lut.Skip(widest * FastScanTable.Stride).Take(k));
            for (int s = 0; s < m; s++) Assert.Contains((byte)0, fast.Lut.Skip(s * FastScanTable.Stride).Take(k));
            var (codes, raw) = RandomCodes(random, m, k, 2000);
            double worst = 0;
            for (int r = 0; r < codes.Rows; r++)
            {
                var code = raw.AsSpan(r * m, m);
                int sum = 0;
                double exact = 0;
                for (int s = 0; s < m; s++)
                {
                    sum += fast.Lut[s * FastScanTable.Stride + code[s]];
                    exact += table[s * k + code[s]];
                }
                worst = Math.Max(worst, Math.Abs(exact - (fast.Bias + sum / (double)fast.Scale)));
                float score = ProductQuantizer.Score(code, table, k);
                Assert.InRange(score, fast.Bias + sum / (double)fast.Scale - fast.Slack, fast.Bias + sum / (double)fast.Scale + fast.Slack);
            }
            if (common == 0) Assert.True(worst <= m / 2.0 / fast.Scale + 1e-5, $"M = {m}: rounding error {worst} beyond M / 2a = {m / 2.0 / fast.Scale}");
        }
        Assert.Null(FastScanTable.Quantize([0f, float.NaN], 1, 2));
        var flat = FastScanTable.Quantize([0.5f, 0.5f, 0.5f], 3, 1)!; // no spread: every byte 0, scale 1
        Assert.Equal(1f, flat.Scale);
        Assert.Equal(1.5f, flat.Bias);
    }

    [Fact]
    public void TheFloorIsTheLeastByteSumThatCanReachAThreshold()
    {
        // Two subspaces, entries 0 and 1: μ = 0, scale 255, Bias 0; a byte sum s stands for s / 255 ± Slack.
        var fast = FastScanTable.Quantize([0f, 1f, 0f, 1f], 2, 2)!;
        Assert.Equal((255f, 0f), (fast.Scale, fast.Bias));
        Assert.Equal([0, 255, 0, 255], new[] { fast.Lut[0], fast.Lut[1], fast.Lut[64], fast.Lut[65] });
        double slack = fast.Slack;
        Assert.InRange(slack, 2 / 255.0, 2 / 255.0 + 1e-5);
        Assert.Equal(0, fast.Floor(float.NegativeInfinity, 0f));
        Assert.Equal((int)Math.Floor((1.5 - slack) * 255), fast.Floor(1.5f, 0f));           // 380
        Assert.Equal((int)Math.Floor((1.5 - 0.25 - slack) * 255), fast.Floor(1.5f, 0.25f)); // an IVF list's q · c
        Assert.Equal(0, fast.Floor(-7f, 0f));
        Assert.True(fast.Floor(300f, 0f) > ushort.MaxValue); // nothing can reach it
    }

    [Fact]
    public void TheScanScoresFewRowsOnceTheHeapIsFull()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 9, n: 20_000, dim: 32, clusters: 50, nq: 4);
        var pq = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 16, Bits = 4 });
        var codes = ProductCodes.Encode(pq, rows);
        var table = new float[16 * 16];
        foreach (var q in queries)
        {
            pq.Table(q, table);
            var heap = new TopKHeap(10);
            int scored = PqSearch.ScanBlocks(table, FastScanTable.Quantize(table, 16, 16)!, codes, 0, rows.Length, 0f, heap, null);
            Assert.True(scored < rows.Length / 10, $"{scored} of {rows.Length} rows scored from the float table");
            Assert.Equal(PqSearch.TopK([q], codes, 10, 0)[0], heap.ToSortedArray());
        }
    }

    [Theory]
    [InlineData(14, 10)]
    [InlineData(7, 1)]
    [InlineData(4, 50)]
    public void SearchingTheBlocksFindsWhatScoringEveryCodeFinds(int m, int k)
    {
        var (rows, queries) = IvfTests.Clustered(seed: m, n: 3000, dim: 4 * 7, clusters: 40, nq: 6);
        var pq = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = m, Bits = 4, Seed = 1 });
        Assert.Equal(16, pq.Centroids);
        // Every row twice: equal codes, equal scores, ties to the lower row or the higher tie key.
        var doubled = rows.Concat(rows).ToArray();
        var codes = ProductCodes.Encode(pq, doubled);
        var tieKeys = Enumerable.Range(0, doubled.Length).Select(r => (r * 7919) % 1000).ToArray();
        foreach (var keys in new[] { null, tieKeys })
        {
            var hits = PqSearch.TopK(queries, codes, k, 0, keys);
            for (int q = 0; q < queries.Length; q++)
                Assert.Equal(Reference(pq, codes, queries[q], Enumerable.Range(0, doubled.Length), k, keys, _ => 0f), hits[q].Select(h => (h.Index, h.Score)));
        }

        // IVF-PQ by residual: each probed list's rows within the shared blocks (lists start and end mid-block), q · c_list added.
        var lists = InvertedLists.Train(rows, 24, null, out var order);
        var stored = order.Select(i => rows[i]).ToArray();
        var residual = ProductCodes.Encode(ProductQuantizer.Train(stored, new ProductQuantizerOptions { Subspaces = m, Bits = 4 }, lists), stored, lists);
        for (int q = 0; q < queries.Length; q++)
        {
            var probed = new int[5];
            lists.Probe(queries[q], probed);
            float Offset(int r) => System.Numerics.Tensors.TensorPrimitives.Dot(queries[q], lists.Centroids.Slice(lists.ListOf(r) * 28, 28));
            var candidates = probed.SelectMany(l => Enumerable.Range(lists.Start(l), lists.Start(l + 1) - lists.Start(l)));
            var ivf = PqSearch.TopK([queries[q]], lists, 5, residual, k, 0)[0];
            Assert.Equal(Reference(residual.Quantizer, residual, queries[q], candidates, k, null, Offset), ivf.Select(h => (h.Index, h.Score)));
        }
    }

    /// <summary>The best k of <paramref name="rows"/> scored one by one from the float table (offset + Σ in subspace order).</summary>
    private static IEnumerable<(int, float)> Reference(ProductQuantizer pq, ProductCodes codes, float[] query, IEnumerable<int> rows, int k,
        int[]? tieKeys, Func<int, float> offset)
    {
        var table = new float[pq.Subspaces * pq.Centroids];
        pq.Table(query, table);
        var code = new byte[pq.Subspaces];
        return rows.Select(r =>
            {
                codes.Code(r, code);
                return (Row: r, Score: offset(r) + ProductQuantizer.Score(code, table, pq.Centroids));
            })
            .OrderByDescending(x => x.Score).ThenByDescending(x => tieKeys?[x.Row] ?? -x.Row).ThenBy(x => x.Row)
            .Take(k).Select(x => (x.Row, x.Score)).ToArray();
    }

    private static (ProductCodes Codes, byte[] Raw) RandomCodes(Random random, int m, int k, int rows)
    {
        var raw = new byte[rows * m];
        for (int i = 0; i < raw.Length; i++) raw[i] = (byte)random.Next(k);
        return (Packed(m, k, raw, rows), raw);
    }

    /// <summary>4-bit codes [rows × m] as <see cref="ProductCodes"/> of m one-value sub-vectors.</summary>
    private static ProductCodes Packed(int m, int k, byte[] raw, int rows)
    {
        var stored = new byte[rows * ((m + 1) / 2)];
        ProductCodes.Pack(raw, rows, m, stored);
        return new ProductCodes(new ProductQuantizer(m, m, k, new float[m * k]), rows, stored, residual: false);
    }
}
