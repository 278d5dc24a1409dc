using Skald.Evaluation.Learning;
using Skald.Retrieval.Metrics;

namespace Skald.Evaluation.Tests;

public sealed class LearningTests
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
}
