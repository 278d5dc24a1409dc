using Skald.Evaluation.Learning;
using Skald.Evaluation.Metrics;
using Skald.Evaluation.Search;

namespace Skald.Evaluation.Tests;

public sealed class LearningAndSearchTests
{
    private static (List<float[]> X, List<int> Y) Blobs(int perClass, int seed)
    {
        var rng = new Random(seed);
        float[][] centres = [[0, 0, 0, 0], [5, 5, 0, 0], [0, 5, 5, 5]];
        var x = new List<float[]>();
        var y = new List<int>();
        for (int c = 0; c < centres.Length; c++)
        {
            for (int i = 0; i < perClass; i++)
            {
                x.Add([.. centres[c].Select(v => v + (float)(rng.NextDouble() - 0.5))]);
                y.Add(c);
            }
        }
        return (x, y);
    }

    [Fact]
    public void LogisticRegressionSeparatesBlobsDeterministically()
    {
        var (x, y) = Blobs(30, 1);
        var (tx, ty) = Blobs(10, 2);
        var a = LogisticRegression.Fit(x, y, 3);
        var b = LogisticRegression.Fit(x, y, 3);
        var pa = a.Predict(tx);
        Assert.Equal(pa, b.Predict(tx));
        Assert.Equal(1.0, ClassificationMetrics.Accuracy(ty, pa));
        Assert.InRange(a.Iterations, 1, 100);
    }

    [Fact]
    public void KMeansRecoversBlobs()
    {
        var (x, y) = Blobs(20, 3);
        var (assign, inertia) = KMeans.Fit(x, 3);
        Assert.Equal(1.0, ClusteringMetrics.VMeasure(y, assign), 12);
        Assert.True(inertia > 0);
        Assert.Equal(assign, KMeans.Fit(x, 3).Assignments);
    }

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
