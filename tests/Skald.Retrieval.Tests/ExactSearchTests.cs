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

    private static float Dot(float[] a, float[] b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
