using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

public sealed class ExactSearchTests
{
    [Fact]
    public void ExactSearchMatchesBruteForceAcrossChunks()
    {
        var rng = new Random(5);
        int n = ExactSearch.ChunkRows + 1500, d = 12;
        var corpus = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray()).ToArray();
        var queries = Enumerable.Range(0, 7).Select(_ => Enumerable.Range(0, d).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray()).ToArray();
        var hits = ExactSearch.TopK(queries, corpus, 10);
        for (int q = 0; q < queries.Length; q++)
        {
            var brute = Enumerable.Range(0, n).Select(i => (i, s: Dot(queries[q], corpus[i]))).OrderByDescending(p => p.s).Take(10).ToArray();
            Assert.Equal(brute.Select(b => b.i), hits[q].Select(h => h.Index));
            for (int j = 0; j < 10; j++) Assert.Equal(brute[j].s, hits[q][j].Score, 4);
        }
    }

    [Fact]
    public void ExactSearchWithKLargerThanCorpusAndTies()
    {
        float[][] corpus = [[1, 0], [1, 0], [0, 1]];
        var hits = ExactSearch.TopK([[1f, 0f]], corpus, 50, tieKeys: [0, 1, 2]);
        Assert.Equal(3, hits[0].Length);
        Assert.Equal([1, 0, 2], hits[0].Select(h => h.Index)); // tie: higher key first
        var byIndex = ExactSearch.TopK([[1f, 0f]], corpus, 1);
        Assert.Equal(0, byIndex[0][0].Index); // default: lower row first
        var flat = ExactSearch.TopK([[0f, 1f]], [1f, 0, 1, 0, 0, 1], 3, 2, 1);
        Assert.Equal(2, flat[0][0].Index);
    }

    [Fact]
    public void EqualScoresAndTieKeysKeepTheLowestRowsWhateverThreadScoredThem()
    {
        // Every row scores the same and has the same tie key: the threads claim stripes of rows in no fixed order,
        // and the kept hits must still be the k lowest rows, best (lowest) first.
        int rows = 3 * ExactSearch.ChunkRows + 5, dim = 8, k = 12;
        var flat = Enumerable.Repeat(0.5f, rows * dim).ToArray();
        var ties = Enumerable.Repeat(7, rows).ToArray();
        for (int run = 0; run < 3; run++)
        {
            var hits = ExactSearch.TopK([Enumerable.Repeat(1f, dim).ToArray()], flat, rows, dim, k, ties)[0];
            Assert.Equal(Enumerable.Range(0, k), hits.Select(h => h.Index));
        }
    }

    [Theory]
    [InlineData(384, 7)]
    [InlineData(13, 9)]
    [InlineData(5, 4)]
    [InlineData(20, 9)]
    [InlineData(16, 5)]
    public void RowDotsMatchItsScalarTwin(int dim, int count)
    {
        var rng = new Random(dim + count);
        var q = Enumerable.Range(0, dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var rows = Enumerable.Range(0, dim * count).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        float[] simd = new float[count], scalar = new float[count];
        RowDots.Dots(q, rows, dim, simd);
        RowDots.DotsScalar(q, rows, dim, scalar);
        for (int r = 0; r < count; r++) Assert.True(Math.Abs(simd[r] - scalar[r]) <= 1e-5f * dim, $"row {r}: {simd[r]} vs {scalar[r]}");
    }

    [Theory]
    [InlineData(1, 384)]
    [InlineData(3, 384)]
    [InlineData(2, 13)]
    [InlineData(40, 384)]
    public void ScanAndGemmPathsReturnTheNaiveTopK(int queryCount, int dim)
    {
        var rng = new Random(queryCount * 1000 + dim);
        int n = 2 * ExactSearch.ChunkRows + 77, k = 25;
        var flat = Enumerable.Range(0, n * dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var queries = Enumerable.Range(0, queryCount).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray()).ToArray();
        var hits = ExactSearch.TopK(queries, flat, n, dim, k);
        for (int q = 0; q < queryCount; q++)
        {
            // The reference: every row's score in double precision, fully sorted.
            var naive = Enumerable.Range(0, n).Select(r =>
            {
                double s = 0;
                for (int i = 0; i < dim; i++) s += (double)queries[q][i] * flat[r * dim + i];
                return (r, s);
            }).OrderByDescending(p => p.s).Take(k).ToArray();
            Assert.Equal(naive.Select(p => p.r), hits[q].Select(h => h.Index));
            for (int j = 0; j < k; j++) Assert.True(Math.Abs(naive[j].s - hits[q][j].Score) <= 1e-4, $"query {q} hit {j}");
        }
    }

    [Theory]
    [InlineData(21, 8)]   // one query block, a vector of 8 thresholds and a tail of 5
    [InlineData(520, 20)] // two query blocks (512 + 8)
    public void ManyQueriesKeepTheBruteForceHitsWithTiesAcrossStripesAndChunks(int queryCount, int dim)
    {
        // Small integer values: every score is exact in float whatever the summation order, and equal scores are
        // everywhere (also at the k-th place), so the tie keys, then the rows, decide which hits each core keeps.
        var rng = new Random(queryCount + dim);
        int n = ExactSearch.ChunkRows + 333, k = 37;
        var flat = Enumerable.Range(0, n * dim).Select(_ => (float)rng.Next(-3, 4)).ToArray();
        var queries = Enumerable.Range(0, queryCount).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)rng.Next(-3, 4)).ToArray()).ToArray();
        var keys = Enumerable.Range(0, n).Select(_ => rng.Next(5)).ToArray();
        var hits = ExactSearch.TopK(queries, flat, n, dim, k, keys);
        // The path a backend without packed operands takes (OpenBLAS): one stripe after another, the same hits.
        var unpacked = ExactSearch.TopK(queries, n, dim, (start, count) => flat.AsMemory(start * dim, count * dim), k, keys,
            ExactSearch.ChunkRows, packQueries: false);
        var scores = new float[n];
        var order = new int[n];
        for (int q = 0; q < queryCount; q++)
        {
            for (int r = 0; r < n; r++)
            {
                float s = 0;
                for (int i = 0; i < dim; i++) s += queries[q][i] * flat[r * dim + i];
                scores[r] = s;
                order[r] = r;
            }
            Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[b].CompareTo(scores[a]) : keys[a] != keys[b] ? keys[b] - keys[a] : a - b);
            Assert.Equal(order.Take(k), hits[q].Select(h => h.Index));
            Assert.Equal(order.Take(k).Select(r => scores[r]), hits[q].Select(h => h.Score));
            Assert.Equal(order.Take(k), unpacked[q].Select(h => h.Index));
        }
    }

    private static float Dot(float[] a, float[] b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
