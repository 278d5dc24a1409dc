using System.Text.Json;
using Skald.Retrieval.Quantization;
using Skald.Tests;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Embedding quantization and quantized search against fixtures/quantization/make_quantization.py (numpy, following
/// sentence-transformers' quantize_embeddings and semantic_search_* rescoring), plus hand-worked edge cases.
/// </summary>
public sealed class QuantizationTests
{
    private static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(Repository.Root, "fixtures", "quantization", "quantization.json"))).RootElement;

    private static float[][] Matrix(string name) =>
        [.. Reference.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray())];

    private static QuantizationRanges Ranges()
    {
        var r = Matrix("ranges");
        return new QuantizationRanges(r[0], r[1]);
    }

    public static TheoryData<string> Precisions => new() { "int8", "uint8", "binary", "ubinary" };

    [Theory]
    [MemberData(nameof(Precisions))]
    public void QuantizedBytesEqualNumpy(string name)
    {
        var precision = EmbeddingQuantizer.Parse(name);
        var c = Reference.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("precision").GetString() == name);
        var ranges = EmbeddingQuantizer.NeedsRanges(precision) ? Ranges() : null;
        foreach (var (matrix, key) in new[] { ("corpus", "corpus_bytes"), ("queries", "query_bytes") })
        {
            var q = EmbeddingQuantizer.Quantize(Matrix(matrix), precision, ranges);
            var expected = c.GetProperty(key).EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => (byte)v.GetInt32())).ToArray();
            Assert.Equal(expected, q.Data);
        }
    }

    [Fact]
    public void RangesFromTheCorpusEqualNumpy()
    {
        var ranges = QuantizationRanges.FromEmbeddings(Matrix("corpus"));
        var expected = Matrix("ranges");
        Assert.Equal(expected[0], ranges.Minima);
        Assert.Equal(expected[1], ranges.Maxima);
    }

    [Theory]
    [MemberData(nameof(Precisions))]
    public void SearchAndRescoringEqualTheReference(string name)
    {
        var precision = EmbeddingQuantizer.Parse(name);
        var c = Reference.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("precision").GetString() == name);
        var corpus = EmbeddingQuantizer.Quantize(Matrix("corpus"), precision, EmbeddingQuantizer.NeedsRanges(precision) ? Ranges() : null);
        int k = Reference.GetProperty("k").GetInt32();
        foreach (var byMultiplier in c.GetProperty("hits").EnumerateObject())
        {
            var hits = QuantizedSearch.TopK(Matrix("queries"), corpus, k, int.Parse(byMultiplier.Name));
            AssertHits(byMultiplier.Value, hits);
        }
    }

    [Fact]
    public void RescoringWithFloatRowsEqualsTheReference()
    {
        var floats = Matrix("corpus");
        var corpus = EmbeddingQuantizer.Quantize(floats, EmbeddingPrecision.Ubinary);
        var hits = QuantizedSearch.TopK(Matrix("queries"), corpus, Reference.GetProperty("k").GetInt32(), 3, floatRows: r => floats[r]);
        AssertHits(Reference.GetProperty("ubinary_float_rescore_x3"), hits);
    }

    private static void AssertHits(JsonElement expected, Search.Hit[][] hits)
    {
        var rows = expected.EnumerateArray().ToArray();
        Assert.Equal(rows.Length, hits.Length);
        for (int q = 0; q < rows.Length; q++)
        {
            var want = rows[q].EnumerateArray().Select(h => (Index: h[0].GetInt32(), Score: h[1].GetDouble())).ToArray();
            Assert.Equal(want.Select(w => w.Index), hits[q].Select(h => h.Index));
            for (int j = 0; j < want.Length; j++)
                Assert.True(Math.Abs(want[j].Score - hits[q][j].Score) <= 1e-5 * Math.Max(1, Math.Abs(want[j].Score)),
                    $"query {q} hit {j}: {hits[q][j].Score} against {want[j].Score}");
        }
    }

    [Fact]
    public void ValuesOutsideTheRangeAreHeldToTheEnds()
    {
        var ranges = new QuantizationRanges([0f, -1f], [2.55f, 1f]);
        // step 0.01: 3.0 is level 300 → 255 (uint8) / 127 (int8); −1 is below the start → 0 / −128; 1.275 → ⌊127.5⌋ = 127;
        // the top of [−1, 1] is 2 / (2 / 255) = 254.99998 in float32 (numpy gives the same), so level 254.
        var u = EmbeddingQuantizer.Quantize([[3f, -2f], [-1f, 1f], [1.275f, 0f]], EmbeddingPrecision.Uint8, ranges);
        Assert.Equal(new byte[] { 255, 0, 0, 254, 127, 127 }, u.Data);
        var s = EmbeddingQuantizer.Quantize([[3f, -2f], [1.275f, 0f]], EmbeddingPrecision.Int8, ranges);
        // int8: level − 128, truncated toward zero: 1.275 → 127.5 − 128 = −0.5 → 0; 0 on [−1, 1] → 127.5 − 128 → 0.
        Assert.Equal(new sbyte[] { 127, -128, 0, 0 }, s.Data.Select(b => (sbyte)b));
    }

    [Fact]
    public void AConstantDimensionMapsToTheBottom()
    {
        var ranges = new QuantizationRanges([0.5f], [0.5f]);
        Assert.Equal(new byte[] { 0 }, EmbeddingQuantizer.Quantize([[0.5f]], EmbeddingPrecision.Uint8, ranges).Data);
        Assert.Equal(new sbyte[] { -128 }, EmbeddingQuantizer.Quantize([[0.5f]], EmbeddingPrecision.Int8, ranges).Data.Select(b => (sbyte)b));
    }

    [Fact]
    public void BitsArePackedFirstDimensionHigh()
    {
        float[] x = [1f, -1f, 0f, 2f, -3f, 0.5f, 0f, 7f, -1f, -1f, -1f, -1f, -1f, -1f, -1f, 0.1f];
        var u = EmbeddingQuantizer.Quantize([x], EmbeddingPrecision.Ubinary);
        Assert.Equal(new byte[] { 0b1001_0101, 0b0000_0001 }, u.Data);
        var b = EmbeddingQuantizer.Quantize([x], EmbeddingPrecision.Binary);
        Assert.Equal(new sbyte[] { 0b1001_0101 - 128, 1 - 128 }, b.Data.Select(v => (sbyte)v));
    }

    [Fact]
    public void BinaryNeedsADimensionDivisibleByEight()
    {
        var e = Assert.Throws<ArgumentException>(() => EmbeddingQuantizer.Quantize([new float[12]], EmbeddingPrecision.Binary));
        Assert.Contains("divisible by 8", e.Message);
        Assert.Throws<ArgumentException>(() => EmbeddingQuantizer.Parse("int4"));
    }

    [Fact]
    public void SimdLevelsEqualTheirScalarTwin()
    {
        var rng = new Random(5);
        foreach (int n in new[] { 1, 7, 8, 9, 33, 384 })
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 3 - 1.5)).ToArray();
            var starts = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 1)).ToArray();
            var steps = Enumerable.Range(0, n).Select(i => i % 5 == 4 ? 0f : (float)(rng.NextDouble() * 0.01)).ToArray(); // some constant dimensions
            if (n > 2) { x[1] = float.NaN; x[2] = 1e30f; } // NaN and far outside the range
            foreach (bool signed in new[] { true, false })
            {
                var vector = new byte[n];
                var scalar = new byte[n];
                EmbeddingQuantizer.Levels(x, starts, steps, signed, vector);
                EmbeddingQuantizer.LevelsScalar(x, starts, steps, signed, scalar);
                Assert.Equal(scalar, vector);
            }
        }
    }

    [Fact]
    public void SimdDotsEqualTheirScalarTwins()
    {
        var rng = new Random(3);
        foreach (int n in new[] { 1, 31, 32, 33, 384, 1000 })
        {
            var a = new byte[n];
            var b = new byte[n];
            rng.NextBytes(a);
            rng.NextBytes(b);
            a[0] = 0x80; b[0] = 0x80; // −128 · −128, the largest int8 product
            Assert.Equal(QuantizedDots.DotInt8Scalar(a, b), QuantizedDots.DotInt8(a, b));
            Assert.Equal(QuantizedDots.DotUint8Scalar(a, b), QuantizedDots.DotUint8(a, b));
            int hamming = 0;
            for (int i = 0; i < n; i++) hamming += System.Numerics.BitOperations.PopCount((uint)(a[i] ^ b[i]));
            Assert.Equal(hamming, QuantizedDots.Hamming(a, b));
        }
    }

    [Theory]
    [InlineData(3)] // scanned row by row
    [InlineData(6)] // int8 / uint8: integer products on AVX-VNNI, else the levels through the float GEMM (exact integers); bits: scanned
    public void ManyRowsAcrossWorkersEqualOneBruteForcePass(int queryCount)
    {
        var rng = new Random(11);
        int rows = 20_000, dim = 64;
        var corpus = Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray()).ToArray();
        var queries = corpus.Take(queryCount).Select(r => r.Select(v => v + 0.05f * ((float)rng.NextDouble() - 0.5f)).ToArray()).ToArray();
        foreach (var precision in new[] { EmbeddingPrecision.Int8, EmbeddingPrecision.Uint8, EmbeddingPrecision.Ubinary })
        {
            var q = EmbeddingQuantizer.Quantize(corpus, precision);
            var qq = EmbeddingQuantizer.Quantize(queries, precision, q.Ranges);
            var hits = QuantizedSearch.TopK(queries, q, 25, 0);
            for (int i = 0; i < queries.Length; i++)
            {
                var brute = Enumerable.Range(0, rows)
                    .Select(r => (r, s: Brute(qq.Row(i), q.Row(r), precision)))
                    .OrderByDescending(p => p.s).ThenBy(p => p.r).Take(25).ToArray();
                Assert.Equal(brute.Select(b => b.r), hits[i].Select(h => h.Index));
                Assert.Equal(brute.Select(b => (float)b.s), hits[i].Select(h => h.Score));
                if (precision != EmbeddingPrecision.Uint8) Assert.Equal(i, hits[i][0].Index); // a query near row i finds it first
            }
        }
    }

    [Theory]
    [InlineData(EmbeddingPrecision.Int8, 64)]
    [InlineData(EmbeddingPrecision.Uint8, 64)]
    [InlineData(EmbeddingPrecision.Int8, 100)] // depth not a multiple of 16
    [InlineData(EmbeddingPrecision.Uint8, 250)]
    [InlineData(EmbeddingPrecision.Int8, 1100)] // past the float GEMM's exact range: scanned, or integer products
    [InlineData(EmbeddingPrecision.Uint8, 300)]
    public void EveryFirstStageFindsTheBruteForceHitsWithTieKeys(EmbeddingPrecision precision, int dim)
    {
        // 300 distinct rows, each 30 or 31 times (equal scores at every rank, also at the k-th: the tie keys, then the
        // row, decide which copies are kept), rows not a multiple of 16 or of a worker's stripe, 13 queries (integer
        // products: one 8-row tile and a partial one).
        var rng = new Random(dim + (int)precision);
        int rows = 9_001, nq = 13, k = 45; // k: all copies of the best row and half of the next one's
        var distinct = Enumerable.Range(0, 300).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray()).ToArray();
        var corpus = Enumerable.Range(0, rows).Select(r => distinct[r % 300]).ToArray();
        var queries = Enumerable.Range(0, nq).Select(i => distinct[i * 7].Select(v => v + 0.1f * ((float)rng.NextDouble() - 0.5f)).ToArray()).ToArray();
        var keys = Enumerable.Range(0, rows).Select(_ => rng.Next(50)).ToArray();
        var q = EmbeddingQuantizer.Quantize(corpus, precision);
        var qq = EmbeddingQuantizer.Quantize(queries, precision, q.Ranges);
        var integer = QuantizedSearch.FirstStage(qq, q, k, keys);
        var floats = QuantizedSearch.FirstStage(qq, q, k, keys, integerProducts: false);
        for (int i = 0; i < nq; i++)
        {
            var scores = new int[rows];
            for (int r = 0; r < rows; r++) scores[r] = Brute(qq.Row(i), q.Row(r), precision);
            var brute = Enumerable.Range(0, rows).OrderByDescending(r => (float)scores[r]).ThenByDescending(r => keys[r]).ThenBy(r => r).Take(k).ToArray();
            Assert.Equal(brute, integer[i].Select(h => h.Index));
            Assert.Equal(brute.Select(r => (float)scores[r]), integer[i].Select(h => h.Score));
            Assert.Equal(brute, floats[i].Select(h => h.Index));
            Assert.Equal(brute.Select(r => (float)scores[r]), floats[i].Select(h => h.Score));
        }
    }

    /// <summary>The first-stage score written out: integer dot of the levels, or 64 − 2·(differing bits).</summary>
    private static int Brute(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, EmbeddingPrecision precision)
    {
        int s = 0;
        for (int i = 0; i < a.Length; i++)
            s += precision switch
            {
                EmbeddingPrecision.Int8 => (sbyte)a[i] * (sbyte)b[i],
                EmbeddingPrecision.Uint8 => a[i] * b[i],
                _ => -2 * System.Numerics.BitOperations.PopCount((uint)(a[i] ^ b[i])),
            };
        return precision == EmbeddingPrecision.Ubinary ? 64 + s : s;
    }
}
